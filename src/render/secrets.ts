/**
 * Secret tokens. Renderers are pure and never see a secret: where a file needs one they write a
 * token. The Pulumi layer resolves tokens into a secret output; `npm run render` masks them
 * (or resolves them with --show-secrets); tests resolve them with test values.
 */
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { publicKeyLine, SshKeyProblem } from "./ssh-public-key";

// @@secret:<key>@@, @@secret-<kind>:<key>@@ or @@secret-<kind>(<argument>):<key>@@.
// Groups: 1 the kind (absent for the plain value), 2 its argument, 3 the key. Keys are kebab-case
// or, for the flat keys the shared contract names (backupPassword, nasSshKey), camelCase.
const tokenPattern =
  /@@secret(?:-(mosquitto-hash|ssh-public-key|json-string)(?:\(([a-z0-9_-]+)\))?)?:([A-Za-z0-9-]+)@@/g;

/** The secret's plain value, e.g. a password in mosquitto_pub's options file. */
export function secretToken(key: string): string {
  return `@@secret:${key}@@`;
}

/** The secret's value escaped for the inside of a JSON string (quotes, backslashes, controls). */
export function jsonStringSecretToken(key: string): string {
  return `@@secret-json-string:${key}@@`;
}

/** mosquitto's PBKDF2-SHA512 password hash of the secret, for `user` (mosquitto_passwd's format). */
export function mosquittoHashToken(key: string, user: string): string {
  return `@@secret-mosquitto-hash(${user}):${key}@@`;
}

/**
 * The OpenSSH public key line ("ssh-ed25519 AAAA...", no comment) of the secret private key, e.g. to
 * authorize the mirrors' config-sync key on the config source. Not secret itself, but derived
 * from one, so it travels like one.
 */
export function sshPublicKeyToken(key: string): string {
  return `@@secret-ssh-public-key:${key}@@`;
}

/** Secret keys a content references, sorted, unique. */
export function secretKeysIn(content: string): string[] {
  return [...new Set([...content.matchAll(tokenPattern)].map((m) => m[3]))].sort();
}

export function hasSecrets(content: string): boolean {
  // Most files hold no token: a plain search spares them the pattern's matches (the program asks
  // this of every file of every host, lyra's docs site among them).
  return content.includes("@@secret") && secretKeysIn(content).length > 0;
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

/**
 * The OpenSSH public key line of an unencrypted private key (OpenSSH's format, or the older PEM), as
 * `ssh-keygen -y` prints it without the comment (./ssh-public-key.ts). `key` names the secret in
 * errors, which never quote the value.
 */
export function sshPublicKeyLine(key: string, privateKey: string): string {
  try {
    return publicKeyLine(privateKey);
  } catch (error) {
    if (!(error instanceof SshKeyProblem)) throw error;
    const expected = "an unencrypted OpenSSH private key (ssh-keygen -t ed25519 -N '')";
    const found = error.message;
    if (found === "encrypted") throw new Error(`secret '${key}' is encrypted with a passphrase: expected ${expected}`);
    if (found === "public") throw new Error(`secret '${key}' is a public key: expected the private key, ${expected}`);
    if (found.startsWith("keys:"))
      throw new Error(`secret '${key}' holds ${found.slice(5)} keys: expected exactly one, ${expected}`);
    throw new Error(
      `secret '${key}' is not an SSH private key (OpenSSH's format, or an RSA or EC key in PEM): expected ${expected}`,
    );
  }
}

/** Replace every token with its value; a missing value is an error naming the key (never a value). */
export function resolveSecrets(content: string, values: Readonly<Record<string, string>>): string {
  return content.replace(tokenPattern, (_m, kind: string | undefined, argument: string | undefined, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`secret '${key}' is not set (pulumi config set --secret ${key})`);
    if (kind === undefined && argument === undefined) return value;
    if (kind === "mosquitto-hash" && argument !== undefined) return mosquittoPasswordHash(argument, value);
    if (kind === "ssh-public-key" && argument === undefined) return sshPublicKeyLine(key, value);
    if (kind === "json-string" && argument === undefined) return JSON.stringify(value).slice(1, -1);
    throw new Error(
      `internal: malformed secret token for '${key}' (kind ${kind ?? "none"}${argument === undefined ? "" : ", with an argument"})`,
    );
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

/**
 * One sha256 over several files' contents, in the order given: what changes exactly when one of
 * them does (a container's config files: its `lyra-fleet.config-sha256` label).
 */
export function contentsHash(contents: readonly string[]): string {
  return sha256(contents.map((content) => sha256(content)).join(","));
}
