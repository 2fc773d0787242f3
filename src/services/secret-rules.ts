/**
 * What a secret's value may hold, where a program that reads it sets limits. Each service module
 * names the rules of its own keys; src/model/secrets.ts applies them before anything is declared.
 */

/** A rule: undefined when the value is fine, else what is wrong with it ("holds a space"). */
export type SecretRule = (value: string) => string | undefined;

/** Passwords are written into one line of a config file: a line break would cut the line in two. */
export const oneLine: SecretRule = (value) =>
  /[\r\n]/.test(value) ? "holds a line break (expected one line)" : undefined;
