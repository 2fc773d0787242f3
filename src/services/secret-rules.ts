/**
 * What a secret's value may hold, where a program that reads it sets limits. Each service module
 * names the rules of its own keys; src/model/secrets.ts applies them before anything is declared.
 */
import { sshPublicKeyLine } from "../render/secrets";

/** A rule: undefined when the value is fine, else what is wrong with it ("holds a space"). */
export type SecretRule = (value: string) => string | undefined;

/** Passwords are written into one line of a config file: a line break would cut the line in two. */
export const oneLine: SecretRule = (value) =>
  /[\r\n]/.test(value) ? "holds a line break (expected one line)" : undefined;

/**
 * An empty password: mosquitto's clients refuse `-P` without one ("no password specified"), and
 * Node-RED takes an empty credentialSecret for none. `pulumi config set --secret key ""` makes one.
 */
export const notEmpty: SecretRule = (value) =>
  value.trim() === ""
    ? "is empty or only whitespace (expected a password, e.g. from `openssl rand -hex 24`)"
    : undefined;

/**
 * A private key ssh reads from a file, unattended: one unencrypted key, judged by the same parser
 * that derives its public half (a key it cannot read failed the program part way through declaring
 * the fleet, when that public half was first needed).
 */
export function unencryptedPrivateKey(key: string): SecretRule {
  return (value) => {
    try {
      sshPublicKeyLine(key, value);
      return undefined;
    } catch (error) {
      // "secret 'nasSshKey' is encrypted with a passphrase: expected ..." -> what follows the key's name.
      return (error as Error).message.replace(/^secret '[^']*' /, "");
    }
  };
}
