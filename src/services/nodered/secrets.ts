/** Node-RED's secrets: the key its credentials file is encrypted with, and the editor's admin password. */
import { notEmpty, oneLine, type SecretRule } from "../secret-rules";

export const noderedCredentialSecretKey = "nodered-credential-secret";
/** The password of the editor's and admin API's one user, `admin` (flat key, as the fleet's contract names it). */
export const noderedAdminPasswordKey = "noderedAdminPassword";
/** Anyone on the LAN can reach the editor's login, and Node-RED does not slow down guessing. */
export const noderedAdminPasswordMinLength = 12;

const longEnough: SecretRule = (value) =>
  value.length < noderedAdminPasswordMinLength
    ? `is shorter than ${noderedAdminPasswordMinLength} characters (expected a password the LAN cannot guess, e.g. openssl rand -base64 18)`
    : undefined;

export function noderedSecretRules(key: string): SecretRule[] {
  if (key === noderedCredentialSecretKey) return [notEmpty, oneLine];
  if (key === noderedAdminPasswordKey) return [oneLine, longEnough];
  return [];
}
