/**
 * Files and directories on a host: what is really there, and the few ways of changing it.
 * Shared by File, Directory and SystemdUnit (whose unit file is a file like any other).
 */
import { createHash } from "crypto";
import { describeHost, HostConnection } from "./connection";
import { hostError, type HostError } from "./errors";
import { runRemoteChecked } from "./ssh";

/** What a path holds on the host. */
export type PathState =
  | { exists: false }
  | {
      exists: true;
      /** "file" (regular), "directory", "symlink" or "other". */
      type: "file" | "directory" | "symlink" | "other";
      /** Permission bits as four octal digits, "0644". */
      mode: string;
      /** Owner's name (or uid when it has none) and uid. */
      owner: string;
      uid: string;
      /** Group's name (or gid when it has none) and gid. */
      group: string;
      gid: string;
      /** sha256 of the content (regular files only, else ""). */
      sha256: string;
    };

/** Desired ownership and permissions of a path. */
export interface PathMetadata {
  /** Octal mode, "0644". */
  mode: string;
  /** Owner: user name or numeric uid. */
  owner: string;
  /** Group: group name or numeric gid. */
  group: string;
}

/** sha256 hex of a UTF-8 string (what sha256sum prints for the same bytes). */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** "644" -> "0644"; leaves four digits alone. */
export function normalizeMode(mode: string): string {
  return mode.padStart(4, "0");
}

/** Inputs with the caller's omissions filled from `defaults` and the mode in four digits. */
export function withPathDefaults<T extends Partial<PathMetadata>>(inputs: T, defaults: PathMetadata): T & PathMetadata {
  return {
    ...inputs,
    mode: normalizeMode(inputs.mode ?? defaults.mode),
    owner: inputs.owner ?? defaults.owner,
    group: inputs.group ?? defaults.group,
  };
}

/** True when an observed owner or group (name and id) is the desired one, given by name or by id. */
export function sameIdentity(desired: string, observedName: string, observedId: string): boolean {
  return desired === observedName || desired === observedId;
}

/**
 * `stat --printf` format of the fields a present path reports, in the order {@link presentPath}
 * takes them (mode, uid, user, gid, group, type); every path's read prints exactly these.
 */
export const STAT_FIELDS_FORMAT = "%a\\t%u\\t%U\\t%g\\t%G\\t%F";

/**
 * A shell function printing one tab-separated record per path: "absent", or
 * "present, mode, uid, user, gid, group, type, sha256". sha256sum reads stdin so that odd file
 * names cannot change its output format.
 */
export const STAT_FUNCTION = `
lyra_stat() {
  if [ -e "$1" ] || [ -L "$1" ]; then
    printf 'present\\t'
    stat --printf='${STAT_FIELDS_FORMAT}\\t' -- "$1"
    if [ -f "$1" ] && [ ! -L "$1" ]; then sha256sum < "$1" | cut -c1-64; else printf '\\n'; fi
  else
    printf 'absent\\n'
  fi
}`;

/** Parses one line printed by {@link STAT_FUNCTION}. */
export function parseStatLine(line: string): PathState {
  const fields = line.replace(/\n$/, "").split("\t");
  if (fields[0] === "absent") return { exists: false };
  if (fields[0] !== "present" || fields.length < 8) throw new Error(`unexpected stat output: ${JSON.stringify(line)}`);
  const [, mode, uid, user, gid, group, fileType, sha256] = fields;
  return presentPath([mode, uid, user, gid, group, fileType], sha256 ?? "");
}

/** A present path from the fields {@link STAT_FIELDS_FORMAT} prints, and its content's sha256 ("" if none). */
export function presentPath(fields: readonly string[], sha256: string): PathState {
  const [mode, uid, user, gid, group, fileType] = fields;
  const type =
    fileType === "regular file" || fileType === "regular empty file"
      ? "file"
      : fileType === "directory"
        ? "directory"
        : fileType === "symbolic link"
          ? "symlink"
          : "other";
  return {
    exists: true,
    type,
    mode: normalizeMode(mode),
    uid,
    owner: user === "UNKNOWN" ? uid : user,
    gid,
    group: group === "UNKNOWN" ? gid : group,
    sha256,
  };
}

/**
 * Mode, owner and group as the host has them. Owner and group keep the form `previous` used (name
 * or id) while they still denote the same identity, so "1000" does not flap against "deploy".
 */
export function observedMetadata(previous: PathMetadata, state: Extract<PathState, { exists: true }>): PathMetadata {
  return {
    mode: state.mode,
    owner: sameIdentity(previous.owner, state.owner, state.uid) ? previous.owner : state.owner,
    group: sameIdentity(previous.group, state.group, state.gid) ? previous.group : state.group,
  };
}

/** Reads what a path holds (one remote command, no write). */
export async function readPathState(connection: HostConnection, path: string): Promise<PathState> {
  const stdout = await runRemoteChecked(connection, `${STAT_FUNCTION}\nlyra_stat "$1"`, {
    purpose: `read ${path}`,
    args: [path],
  });
  return parseStatLine(stdout);
}

/** Whether ownership and permissions already are as desired. */
export function metadataMatches(state: PathState, desired: PathMetadata): boolean {
  return (
    state.exists &&
    state.mode === normalizeMode(desired.mode) &&
    sameIdentity(desired.owner, state.owner, state.uid) &&
    sameIdentity(desired.group, state.group, state.gid)
  );
}

/**
 * \`lyra_write PATH MODE OWNER GROUP SHA256\`, the content on its stdin: writes the file
 * atomically and returns 0, or prints "PATH: why" on stderr and returns 2 when the content
 * arrived incomplete, 1 when a step failed. Shared by the single-file write below and the host
 * batch (resources/host-batch.ts).
 */
export const WRITE_FUNCTION = `lyra_write() {
  d=$(dirname -- "$1")
  mkdir -p -- "$d" || { echo "$1: cannot create its directory" >&2; return 1; }
  tmp=$(mktemp -- "$d/.lyra-fleet.XXXXXX") || { echo "$1: cannot create a temporary file" >&2; return 1; }
  cat > "$tmp"
  got=$(sha256sum < "$tmp" | cut -c1-64)
  if [ "$got" != "$5" ]; then rm -f -- "$tmp"; echo "$1: the content arrived incomplete (sha256 $got)" >&2; return 2; fi
  chown -- "$3:$4" "$tmp" && chmod -- "$2" "$tmp" || { rm -f -- "$tmp"; echo "$1: cannot set owner and mode" >&2; return 1; }
  sync -- "$tmp" 2>/dev/null || true
  mv -fT -- "$tmp" "$1" || { rm -f -- "$tmp"; echo "$1: cannot rename the new file into place" >&2; return 1; }
}`;

/**
 * \`lyra_remove_file PATH\`: removes a file or symlink; refuses (prints "PATH: why", returns 3)
 * to touch a directory standing where the file was.
 */
export const REMOVE_FILE_FUNCTION = `lyra_remove_file() {
  if [ -d "$1" ] && [ ! -L "$1" ]; then echo "$1: a directory stands there; not removing it" >&2; return 3; fi
  rm -f -- "$1" || { echo "$1: cannot remove it" >&2; return 1; }
}`;

/**
 * Writes a file atomically: a temp file in the same directory (so the rename cannot cross file
 * systems), owner and mode set on it, flushed, then renamed over the path. Readers see the old or
 * the new file, never half of one, even across a power cut. Missing parent directories are
 * created (root-owned, 0755). The content travels on stdin and is checked by its sha256 on arrival.
 */
export async function writeFileAtomically(
  connection: HostConnection,
  path: string,
  content: string,
  metadata: PathMetadata,
): Promise<void> {
  await runRemoteChecked(connection, `${WRITE_FUNCTION}\nlyra_write "$@"`, {
    purpose: `write ${path}`,
    args: [path, normalizeMode(metadata.mode), metadata.owner, metadata.group, sha256Hex(content)],
    stdin: content,
    writes: true,
  });
}

/** Sets owner, group and mode of an existing path (chown first: it clears setuid/setgid bits). */
export async function fixMetadata(connection: HostConnection, path: string, metadata: PathMetadata): Promise<void> {
  await runRemoteChecked(connection, 'set -eu\nchown -h -- "$2:$3" "$1"\nchmod -- "$4" "$1"', {
    purpose: `set owner and mode of ${path}`,
    args: [path, metadata.owner, metadata.group, normalizeMode(metadata.mode)],
    writes: true,
  });
}

/** Creates a directory (and its parents) if needed and sets its owner and mode. */
export async function ensureDirectory(connection: HostConnection, path: string, metadata: PathMetadata): Promise<void> {
  await runRemoteChecked(connection, 'set -eu\nmkdir -p -- "$1"\nchown -- "$2:$3" "$1"\nchmod -- "$4" "$1"', {
    purpose: `create directory ${path}`,
    args: [path, metadata.owner, metadata.group, normalizeMode(metadata.mode)],
    writes: true,
  });
}

/** Removes a file or symlink; refuses to touch a directory standing where the file was. */
export async function removeFile(connection: HostConnection, path: string): Promise<void> {
  await runRemoteChecked(connection, `${REMOVE_FILE_FUNCTION}\nlyra_remove_file "$1"`, {
    purpose: `remove ${path}`,
    args: [path],
    writes: true,
  });
}

/**
 * Removes a directory if it is empty and says whether it did. A directory that still holds files
 * nobody declared (a cache, logs, a database) is left alone: losing undeclared data is worse than
 * keeping an empty-looking directory.
 */
export async function removeDirectoryIfEmpty(connection: HostConnection, path: string): Promise<boolean> {
  const stdout = await runRemoteChecked(
    connection,
    '[ -d "$1" ] || { echo absent; exit 0; }\nif rmdir -- "$1" 2>/dev/null; then echo removed; else echo kept; fi',
    { purpose: `remove directory ${path}`, args: [path], writes: true },
  );
  return stdout.trim() !== "kept";
}

/** The error for a path that holds something the resource will not overwrite. */
export function wrongTypeError(connection: HostConnection, path: string, found: string, wanted: string): HostError {
  return hostError(
    connection.host,
    "state",
    `${describeHost(connection)}: ${path} is a ${found}, not a ${wanted}; remove it by hand if it should go (nothing was changed)`,
  );
}
