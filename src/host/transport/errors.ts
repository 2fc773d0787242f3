/**
 * The one error type of the host layer.
 *
 * Every message starts with the fleet host name and its address, because an error seen in
 * `pulumi up` output without them is useless on a fleet of look-alike mirrors. Secrets are
 * scrubbed before the Error is built, so neither `message` nor `stack` (which V8 derives
 * from the message) can ever carry them, whoever logs the error later.
 */

/** What went wrong, for callers that react differently (tests, the fleet layer's summaries). */
export type HostErrorKind =
  | "invalid-connection" // the connection spec itself is wrong; nothing was attempted
  | "host-key" // the host presented a key other than the pinned one; nothing was run
  | "unreachable" // no TCP/SSH answer within the deadline
  | "auth" // the SSH login was refused
  | "sudo" // the user is not root and `sudo -n` refused
  | "timeout" // a command ran past its deadline
  | "command" // a command exited non-zero
  | "unit-failed" // a systemd unit did not become active in time
  | "state"; // the host is in a state the resource will not overwrite (e.g. a directory where a file belongs)

/** Marker that replaces a scrubbed secret. */
export const SCRUBBED = "[secret]";

/**
 * Lines of a multi-line secret shorter than this are not scrubbed one by one: a short line such
 * as "}" or "[mqtt]" would blank out ordinary words in every message. The whole value always is.
 */
const MIN_SCRUBBED_LINE_LENGTH = 8;

/** Replaces every occurrence of each secret (and of each long enough line of it) by `[secret]`. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    needles.add(secret);
    for (const line of secret.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed.length >= MIN_SCRUBBED_LINE_LENGTH) needles.add(trimmed);
    }
  }
  // Longest first, so a whole value is replaced before its lines can split it into pieces.
  let scrubbed = text;
  for (const needle of [...needles].sort((a, b) => b.length - a.length)) {
    scrubbed = scrubbed.split(needle).join(SCRUBBED);
  }
  return scrubbed;
}

/** An error about one fleet host. `message` always begins with "<host> (<user>@<address>:<port>)". */
export interface HostError extends Error {
  /** Always "HostError". */
  readonly name: "HostError";
  /** Fleet host name the error is about. */
  readonly host: string;
  /** What went wrong. */
  readonly kind: HostErrorKind;
}

/**
 * Makes a {@link HostError}: a plain Error with `host` and `kind`. Not a subclass of Error on
 * purpose: Pulumi's closure serializer rewrites a class's `super(message)` into
 * `Error.call(this, message)`, which leaves the instance without its message, so inside the
 * engine every error would have been blank.
 */
export function hostError(
  host: string,
  kind: HostErrorKind,
  message: string,
  secrets: readonly (string | undefined)[] = [],
): HostError {
  const error = new Error(scrubSecrets(message, secrets)) as Error & { host: string; kind: HostErrorKind };
  error.name = "HostError";
  error.host = host;
  error.kind = kind;
  return error as HostError;
}

/** True for errors made by {@link hostError}. */
export function isHostError(error: unknown): error is HostError {
  return error instanceof Error && error.name === "HostError" && typeof (error as HostError).kind === "string";
}
