/** The NUT monitor user's password (upsd.users, upsmon.conf) on a host with a UPS, and what it may hold. */
import type { SecretRule } from "../secret-rules";

export const upsMonitorPasswordKey = "ups-monitor-password";

/**
 * NUT's upsmon sends the password to upsd unquoted (`PASSWORD <value>`), and upsd splits that line
 * into words. Measured with Debian's NUT 2.8.0 (test/services/ups/tools/nut.test.ts): upsd refuses a password
 * holding a space or `=` (ERR INVALID-ARGUMENT); a `#` leaves upsmon.conf unparseable, so upsmon
 * does not start; a `\` escapes the character after it, so `\\` no longer matches upsd.users
 * (ERR ACCESS-DENIED); and a `"` makes upsmon misread the rendered MONITOR line, so it logs in as
 * a secondary that never shuts the host down.
 */
const nutWord: SecretRule = (value) => {
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

// Whitespace includes line breaks, so nutWord alone covers the one-line rule.
export function upsSecretRules(key: string): SecretRule[] {
  return key === upsMonitorPasswordKey ? [nutWord] : [];
}
