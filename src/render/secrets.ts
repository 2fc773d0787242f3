/**
 * Secret tokens. Renderers are pure and never see a secret: where a file needs one they write a
 * token. The Pulumi layer resolves tokens into a secret output; `npm run render` masks them
 * (or resolves them with --show-secrets); tests resolve them with test values.
 */
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";

const tokenPattern = /@@secret(?:-(mosquitto-hash)\(([a-z0-9_-]+)\))?:([a-z0-9-]+)@@/g;

/** The secret's plain value, e.g. a password in Node-RED's credentials. */
export function secretToken(key: string): string {
  return `@@secret:${key}@@`;
}

/** mosquitto's PBKDF2-SHA512 password hash of the secret, for `user` (mosquitto_passwd's format). */
export function mosquittoHashToken(key: string, user: string): string {
  return `@@secret-mosquitto-hash(${user}):${key}@@`;
}

/** Secret keys a content references, sorted, unique. */
export function secretKeysIn(content: string): string[] {
  return [...new Set([...content.matchAll(tokenPattern)].map((m) => m[3]))].sort();
}

export function hasSecrets(content: string): boolean {
  return secretKeysIn(content).length > 0;
}

/**
 * mosquitto_passwd's `$7$` format: PBKDF2-SHA512, 101 iterations, 12-byte salt, 64-byte hash.
 * The salt is derived from the password and user, not random, so the same secret renders the same
 * file and a no-op `pulumi up` stays a no-op.
 */
export function mosquittoPasswordHash(user: string, password: string): string {
  const salt = createHmac("sha256", password).update(`lyra-fleet mosquitto salt\0${user}`).digest().subarray(0, 12);
  const hash = pbkdf2Sync(password, salt, 101, 64, "sha512");
  return `$7$101$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/** Replace every token with its value; a missing value is an error naming the key (never a value). */
export function resolveSecrets(content: string, values: Readonly<Record<string, string>>): string {
  return content.replace(tokenPattern, (_m, kind: string | undefined, user: string | undefined, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`secret '${key}' is not set (pulumi config set --secret ${key})`);
    return kind === "mosquitto-hash" ? mosquittoPasswordHash(user!, value) : value;
  });
}

/** Replace every token with a readable placeholder that names the key. */
export function maskSecrets(content: string): string {
  return content.replace(tokenPattern, (_m, kind: string | undefined, _user: string | undefined, key: string) =>
    kind ? `<${kind} of secret ${key}>` : `<secret ${key}>`,
  );
}

export function sha256(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}
