/** The broker's secrets: one password per MQTT user, each written into one line of a file. */
import { notEmpty, oneLine, type SecretRule } from "../secret-rules";

/** Flat stack config key of an MQTT user's password. */
export const mqttPasswordKey = (user: string) => `mqtt-password-${user}`;

export function mqttPasswordRules(key: string): SecretRule[] {
  return key.startsWith(mqttPasswordKey("")) ? [notEmpty, oneLine] : [];
}
