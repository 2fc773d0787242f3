/**
 * A request the operator can fix by asking differently (a missing flag, an unknown host): the
 * command prints it with its usage and exits 2. Defined here, below the commands, because the
 * verify library refuses such requests before the command-line layer sees them.
 */
export class UsageError extends Error {
  override name = "UsageError";
}
