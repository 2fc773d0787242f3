/** The broker's secrets: one password per MQTT user, each written into one line of a file. */
import type { FleetModel } from "../../model/fleet";
import type { DerivedSecrets } from "../module";
import { notEmpty, oneLine, type SecretRule } from "../secret-rules";

/** Flat stack config key of an MQTT user's password. */
export const mqttPasswordKey = (user: string) => `mqtt-password-${user}`;

/**
 * The secret every host's own MQTT password is derived from when the stack does not set
 * `mqtt-password-<host>` itself. Not of the form `mqtt-password-<user>`: no user can be named so
 * that its key is this one.
 */
export const mqttPasswordsKeySecret = "mqtt-passwords-key";

/** Shorter keys make guessable passwords: 16 characters is 96 bits as base64, 64 as hex. */
const MIN_KEY_LENGTH = 16;

const longEnough: SecretRule = (value) =>
  value.length < MIN_KEY_LENGTH
    ? `holds ${value.length} characters (expected a random key of at least ${MIN_KEY_LENGTH}, e.g. from \`openssl rand -hex 32\`)`
    : undefined;

export function mqttPasswordRules(key: string): SecretRule[] {
  if (key === mqttPasswordsKeySecret) return [notEmpty, oneLine, longEnough];
  return key.startsWith(mqttPasswordKey("")) ? [notEmpty, oneLine] : [];
}

/**
 * The hosts' own users (a host's health publisher, a mirror's heartbeat and registration): no
 * operator types their passwords, and a fleet has one per mirror. Each is derived from the stack's
 * `mqtt-passwords-key` unless the stack sets it, so a new mirror needs no secret of its own. The
 * users of services and operators (orchestrator, nodered, monitor) and the stack's own extra users
 * are set one by one: people and the runbook's commands read them (`pulumi config get`).
 */
export function derivedMqttPasswords(fleet: FleetModel): DerivedSecrets {
  const hosts = new Set(fleet.hosts.map((h) => h.name));
  return {
    source: mqttPasswordsKeySecret,
    keys: fleet.mqttUsers
      .filter((user) => hosts.has(user.name) && !user.service && !user.operator)
      .map((user) => mqttPasswordKey(user.name)),
  };
}
