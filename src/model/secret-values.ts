/**
 * What a secret's value may hold, where a program that reads it sets limits. Checked before any
 * resource is declared (and before `render --show-secrets` writes a file), so a value that would
 * break a host's config is refused while nothing has changed. Messages name the key and what was
 * found, never the value.
 */
import { secretKeys } from "./fleet";

/** A rule: undefined when the value is fine, else what is wrong with it ("holds a space"). */
type Rule = (value: string) => string | undefined;

/** Passwords are written into one line of a config file: a line break would cut the line in two. */
const oneLine: Rule = (value) => (/[\r\n]/.test(value) ? "holds a line break (expected one line)" : undefined);

/**
 * NUT's upsmon sends the password to upsd unquoted (`PASSWORD <value>`), and upsd splits that line
 * into words. Measured with Debian's NUT 2.8.0 (test/tools/nut.test.ts): upsd refuses a password
 * holding a space or `=` (ERR INVALID-ARGUMENT); a `#` leaves upsmon.conf unparseable, so upsmon
 * does not start; a `\` escapes the character after it, so `\\` no longer matches upsd.users
 * (ERR ACCESS-DENIED); and a `"` makes upsmon misread the rendered MONITOR line, so it logs in as
 * a secondary that never shuts the host down.
 */
const nutWord: Rule = (value) => {
  if (value === "") return "is empty";
  const found = [
    [/\s/, "whitespace"],
    [/"/, "'\"'"],
    [/\\/, "'\\'"],
    [/=/, "'='"],
    [/#/, "'#'"],
    [/[\u0000-\u0008\u000e-\u001f\u007f]/, "a control character"], // tab to CR count as whitespace
  ].flatMap(([pattern, name]) => ((pattern as RegExp).test(value) ? [name as string] : []));
  if (found.length === 0) return undefined;
  return `holds ${found.join(", ")}: NUT's upsmon sends it to upsd as one unquoted word, so it may not hold whitespace, '"', '\\', '=' or '#' (a value from \`openssl rand -hex 24\` is always fine)`;
};

/** The rules of a key; every password is one line. */
function rulesFor(key: string): Rule[] {
  if (key === secretKeys.upsMonitorPassword) return [nutWord]; // whitespace includes line breaks
  if (key.startsWith(secretKeys.mqttPassword("")) || key === secretKeys.noderedCredentialSecret) return [oneLine];
  return [];
}

/** Every problem with the given values, one line each ("secret 'ups-monitor-password' holds '='..."). */
export function secretValueProblems(values: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .flatMap(([key, value]) => rulesFor(key).flatMap((rule) => rule(value) ?? []).map((problem) => `secret '${key}' ${problem}`));
}
