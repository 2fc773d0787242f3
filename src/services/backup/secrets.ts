/**
 * The backups' two stack secrets (flat keys, read with requireSecret): the restic repository's
 * password and the private key of the NAS account the hosts log in as over SFTP.
 */
import { unencryptedPrivateKey, type SecretRule } from "../secret-rules";

export const backupPasswordKey = "backupPassword";
export const nasSshKeyKey = "nasSshKey";

/**
 * restic reads a password file and trims whitespace around it: a password that starts or ends
 * with a space, or holds a line break, would not be the password the repository was made with.
 */
const resticPassword: SecretRule = (value) => {
  if (value.trim() === "")
    return "is empty (expected the restic repository password, e.g. from `openssl rand -hex 24`)";
  if (/[\r\n]/.test(value)) return "holds a line break (restic reads the first line of its password file)";
  if (value.trim() !== value)
    return "starts or ends with whitespace (restic trims it from its password file, so the repository would get another password)";
  return undefined;
};

export function backupSecretRules(key: string): SecretRule[] {
  if (key === backupPasswordKey) return [resticPassword];
  if (key === nasSshKeyKey) return [unencryptedPrivateKey(nasSshKeyKey)];
  return [];
}
