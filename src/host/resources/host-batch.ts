/**
 * A host's changes in two remote commands: every path operation in one batch (directories, files
 * with their content on stdin, removals, units taken away), then every systemctl action in one
 * call (one daemon-reload, enable/disable, then each start or restart in order, each waited for).
 * Both stop at the first operation that fails and say which ones were done, so the caller records
 * exactly what the host now has.
 */
import { describeHost, type HostConnection } from "../transport/connection";
import { hostError } from "../transport/errors";
import {
  normalizeMode,
  type PathMetadata,
  REMOVE_FILE_FUNCTION,
  sha256Hex,
  WRITE_FUNCTION,
} from "../transport/remote-path";
import { runRemote } from "../transport/ssh";
import { MARKER_NAME } from "./artifacts";
import {
  dropInPath,
  REMOVE_UNIT_FUNCTION,
  SETTLE_SECONDS,
  START_AND_WAIT_FUNCTION,
  unitFailedError,
  unitFilePath,
} from "./systemd-state";

/** One path operation. */
export type PathOperation =
  | ({ op: "directory"; path: string } & PathMetadata)
  | ({ op: "metadata"; path: string } & PathMetadata)
  | ({ op: "write"; path: string; content: string } & PathMetadata)
  | { op: "remove"; path: string }
  | { op: "remove-directory"; path: string }
  | { op: "remove-unit"; unit: string; ownsUnitFile: boolean }
  /** An artifact no longer declared: every version of it installed (those with a marker), and `current`. */
  | { op: "remove-artifact"; installDir: string };

/**
 * Reads one tab-separated header line per operation from stdin (a file's content follows its
 * header, exactly `len` bytes, read by `head -c`, which never reads past them; sh's `read` takes
 * one byte at a time from a pipe), does it, and prints "done" for it. The first failure prints
 * why on stderr (paths and names only, never content) and exits 3.
 */
const PATH_BATCH_SCRIPT = `set -u
${WRITE_FUNCTION}
${REMOVE_FILE_FUNCTION}
${REMOVE_UNIT_FUNCTION}
fail() { echo "$path: $*" >&2; exit 3; }
tab=$(printf '\\t')
while IFS=$tab read -r op path mode owner group sha len; do
  case $op in
    directory)
      mkdir -p -- "$path" && chown -- "$owner:$group" "$path" && chmod -- "$mode" "$path" || fail "cannot create the directory" ;;
    metadata)
      chown -h -- "$owner:$group" "$path" && chmod -- "$mode" "$path" || fail "cannot set owner and mode" ;;
    write) head -c "$len" | lyra_write "$path" "$mode" "$owner" "$group" "$sha" || exit 3 ;;
    remove) lyra_remove_file "$path" || exit 3 ;;
    remove-directory)
      # Only when empty: what nobody declared (a cache, logs, a database) stays.
      [ ! -d "$path" ] || rmdir -- "$path" 2>/dev/null || true ;;
    # path: the unit; mode: its unit file; owner: its drop-in; group: "yes" when the unit file is ours.
    remove-unit) lyra_remove_unit "$path" "$mode" "$owner" "$group" || exit 3 ;;
    # path: an install directory. Its siblings are the artifact's other versions; only those an
    # install completed (a marker) are removed, then the artifact's directory if that emptied it.
    remove-artifact)
      home=\${path%/*}
      rm -rf -- "$path" || fail "cannot remove the artifact"
      for other in "$home"/*; do
        if [ -d "$other" ] && [ ! -L "$other" ] && [ -f "$other/${MARKER_NAME}" ]; then rm -rf -- "$other" || fail "cannot remove $other"; fi
      done
      if [ -L "$home/current" ]; then rm -f -- "$home/current" || fail "cannot remove $home/current"; fi
      [ ! -d "$home" ] || rmdir -- "$home" 2>/dev/null || true ;;
    *) fail "unknown operation '$op'" ;;
  esac
  echo done
done`;

/** The header line (and content) of one operation on the batch's stdin. */
function encode(operation: PathOperation): string {
  const line = (...fields: string[]) => `${fields.join("\t")}\n`;
  switch (operation.op) {
    case "directory":
    case "metadata":
      return line(operation.op, operation.path, normalizeMode(operation.mode), operation.owner, operation.group);
    case "write": {
      const { path, content, mode, owner, group } = operation;
      const length = String(Buffer.byteLength(content, "utf8"));
      return line("write", path, normalizeMode(mode), owner, group, sha256Hex(content), length) + content;
    }
    case "remove":
    case "remove-directory":
      return line(operation.op, operation.path);
    case "remove-artifact":
      return line("remove-artifact", operation.installDir);
    case "remove-unit": {
      const { unit, ownsUnitFile } = operation;
      return line("remove-unit", unit, unitFilePath(unit), dropInPath(unit), ownsUnitFile ? "yes" : "no");
    }
  }
}

/** What a batch left behind: how many of its operations were done, and the error that stopped it. */
export interface BatchResult {
  done: number;
  error?: Error;
}

/**
 * Runs path operations in order in one remote command (none: no command). `secrets` are values
 * that must never appear in a message (secret file contents travel on stdin and are scrubbed too).
 */
export async function applyPathBatch(
  connection: HostConnection,
  operations: readonly PathOperation[],
  secrets: readonly string[],
): Promise<BatchResult> {
  if (operations.length === 0) return { done: 0 };
  const result = await runRemote(connection, PATH_BATCH_SCRIPT, {
    purpose: `write ${operations.length} path operation(s)`,
    stdin: operations.map(encode).join(""),
    writes: true,
    timeoutMs: 120_000,
    secrets,
  });
  const done = result.stdout.split("\n").filter((line) => line === "done").length;
  if (result.exitCode === 0 && done === operations.length) return { done };
  const why = result.stderr.trim().split("\n").slice(-5).join("\n") || `exit code ${result.exitCode}`;
  return {
    done,
    error: hostError(connection.host, "command", `${describeHost(connection)}: ${why} (nothing after it was done)`, [
      ...secrets,
    ]),
  };
}

/** Every systemctl action of one apply. */
export interface UnitActions {
  /** One `systemctl daemon-reload` first: a unit file changed, or systemd holds an older one. */
  daemonReload: boolean;
  enable: string[];
  disable: string[];
  /** In this order: each started or restarted and waited for before the next. */
  starts: { unit: string; action: "start" | "restart"; timeoutSeconds: number }[];
}

/** What the unit batch did: the starts that succeeded (with whether a retry was needed), and the error. */
export interface UnitBatchResult {
  started: { unit: string; retried: boolean }[];
  error?: Error;
}

/**
 * Arguments: reload (yes/no), the units to enable, those to disable (space-separated: unit names
 * hold no space), then unit, action, wait, settle for each start. Prints "@@<unit>" before each
 * start and what {@link START_AND_WAIT_FUNCTION} prints; exits 4 when a systemctl call fails, 3
 * when a unit does not come up.
 */
const UNIT_BATCH_SCRIPT = `${START_AND_WAIT_FUNCTION}
reload=$1; enable=$2; disable=$3; shift 3
if [ "$reload" = yes ]; then systemctl daemon-reload || exit 4; fi
# shellcheck disable=SC2086
if [ -n "$enable" ]; then systemctl enable -- $enable || exit 4; fi
# shellcheck disable=SC2086
if [ -n "$disable" ]; then systemctl disable -- $disable || exit 4; fi
while [ $# -ge 4 ]; do
  echo "@@$1"
  lyra_start "$1" "$2" "$3" "$4" || exit 3
  shift 4
done`;

const settleOf = (unit: string) => (unit.endsWith(".service") ? SETTLE_SECONDS.service : SETTLE_SECONDS.other);

/** Runs every systemctl action in one remote command (none: no command). */
export async function applyUnitActions(
  connection: HostConnection,
  actions: UnitActions,
  secrets: readonly string[],
): Promise<UnitBatchResult> {
  const { daemonReload, enable, disable, starts } = actions;
  if (!daemonReload && enable.length === 0 && disable.length === 0 && starts.length === 0) return { started: [] };
  const waitSeconds = starts.reduce((sum, start) => sum + start.timeoutSeconds + 2, 0);
  const result = await runRemote(connection, UNIT_BATCH_SCRIPT, {
    purpose: [
      daemonReload ? "daemon-reload" : "",
      enable.length ? `enable ${enable.join(" ")}` : "",
      disable.length ? `disable ${disable.join(" ")}` : "",
      starts.length ? `start ${starts.map((s) => s.unit).join(" ")}` : "",
    ]
      .filter(Boolean)
      .join(", "),
    args: [
      daemonReload ? "yes" : "no",
      enable.join(" "),
      disable.join(" "),
      ...starts.flatMap((s) => [s.unit, s.action, String(s.timeoutSeconds), settleOf(s.unit)]),
    ],
    writes: true,
    timeoutMs: (waitSeconds + 30) * 1000,
    secrets,
  });
  const sections = `\n${result.stdout}`.split("\n@@").slice(1);
  const started = sections
    .filter((section) => /^\S+\nretried=(yes|no)$/.test(section.trim()))
    .map((section) => ({ unit: section.split("\n")[0], retried: section.includes("retried=yes") }));
  if (result.exitCode === 0) return { started };
  const where = describeHost(connection);
  if (result.exitCode === 3 && sections.length > 0) {
    const [unit, ...printed] = sections[sections.length - 1].trim().split("\n");
    const timeout = starts.find((s) => s.unit === unit)?.timeoutSeconds;
    return { started, error: unitFailedError(connection, unit, printed.join("\n"), timeout, secrets) };
  }
  const tail = result.stderr.trim().split("\n").slice(-5).join("\n");
  return {
    started,
    error: hostError(
      connection.host,
      "command",
      `${where}: systemctl failed with exit code ${result.exitCode}: ${tail}`,
      [...secrets],
    ),
  };
}
