/**
 * One read of a whole host: every path, unit and package a HostState declares, observed by a
 * single remote command and computed on the host (digests by sha256sum, states by systemctl and
 * dpkg-query). A no-op `pulumi up` then costs one round trip per host and refresh, whatever the
 * host holds; the single-item providers' pure `observed*` functions turn what it saw into state,
 * so a host reads exactly as its items would one by one.
 *
 * The command starts a fixed handful of programs whatever the host holds: one dpkg-query, one
 * systemctl for all units, one stat and one sha256sum for all paths (a loop of per-path stat and
 * sha256sum cost about 2 ms of fork and exec per path, and a systemctl per unit 5 ms: most of the
 * read on a host with a hundred paths, and more on a Raspberry Pi).
 */
import { describeHost, type HostConnection } from "../transport/connection";
import { hostError } from "../transport/errors";
import { type PathState, presentPath, STAT_FIELDS_FORMAT } from "../transport/remote-path";
import { runRemoteChecked } from "../transport/ssh";
import { DPKG_QUERY, packageNames, parseInstalled } from "./apt-packages";
import { MARKER_NAME, type ObservedArtifact, parseMarker } from "./artifacts";
import { dropInPath, observedUnit, type ObservedUnit, UNIT_SHOW_PROPERTIES, unitFilePath } from "./systemd-state";

/** What to read. */
export interface SnapshotRequest {
  /** Debian package specs ("tree", "tree=2.1.0-1"). */
  packages: readonly string[];
  /** Files and directories. */
  paths: readonly string[];
  /** Unit names; their unit file and drop-in are read too. */
  units: readonly string[];
  /** Artifacts' install directories: their marker, and where `current` beside them points. */
  artifacts?: readonly string[];
}

/** What the host has. */
export interface HostSnapshot {
  /** Installed version of each requested package that is fully installed. */
  installed: Record<string, string>;
  /** Every requested path, units' files included. */
  paths: Record<string, PathState>;
  units: Record<string, ObservedUnit>;
  /** By install directory. */
  artifacts: Record<string, ObservedArtifact>;
}

/**
 * Arguments: the package names and the unit names (each one argument, split by the shell: package
 * names are words of [a-z0-9.+-], unit names of [A-Za-z0-9:_.\\@-], as validation holds them), the
 * number of artifact directories, those directories, then the paths.
 *
 * Prints a marker line before each section: "@@packages" (dpkg-query's lines), "@@units" (one
 * `systemctl show` block per unit, in the order given, blank-line separated), "@@a:<n>" for the
 * n-th artifact directory (its marker's first line, "marker ...", and where `current` points,
 * "current ..."), "@@stat" (mode, ids, names and type, then the path, tab-separated, for each path
 * that exists), "@@absent" (each path that does not) and "@@sha256" (sha256sum's line for each
 * regular file). No line of theirs starts with "@@": paths start with "/" and hold no line break
 * (validation refuses one), digests are hex (or a backslash before an escaped name).
 * Every path is in "@@stat" or "@@absent"; one in neither could not be read (see readHostSnapshot).
 * A symlink is not followed: it is reported as one, like a dangling one, and gets no digest.
 */
const SNAPSHOT_SCRIPT = `lyra_packages() { ${DPKG_QUERY}; }
packages=$1; units=$2; artifacts=$3; shift 3
echo '@@packages'
# shellcheck disable=SC2086
[ -z "$packages" ] || lyra_packages $packages
echo '@@units'
# shellcheck disable=SC2086
[ -z "$units" ] || systemctl show ${UNIT_SHOW_PROPERTIES} -- $units
n=0
while [ "$n" -lt "$artifacts" ]; do
  dir=$1; shift; n=$((n + 1))
  echo "@@a:$n"
  if [ -f "$dir/${MARKER_NAME}" ] && [ ! -L "$dir/${MARKER_NAME}" ]; then
    printf 'marker %s\\n' "$(head -c 200 "$dir/${MARKER_NAME}" | head -n 1)"
  fi
  if current=$(readlink -- "\${dir%/*}/current" 2>/dev/null); then printf 'current %s\\n' "$current"; fi
done
echo '@@stat'
[ $# -eq 0 ] || stat --printf='${STAT_FIELDS_FORMAT}\\t%n\\n' -- "$@" 2>/dev/null
echo '@@absent'
for path in "$@"; do [ -e "$path" ] || [ -L "$path" ] || printf '%s\\n' "$path"; done
echo '@@sha256'
for path in "$@"; do
  if [ -f "$path" ] && [ ! -L "$path" ]; then printf '%s\\0' "$path"; fi
done | xargs -0r sha256sum -- 2>/dev/null
exit 0`;

/** The paths a unit's observation needs. */
const unitPaths = (unit: string) => [unitFilePath(unit), dropInPath(unit)];

/** Output split at the marker lines: the lines after each marker (blank ones included), by marker. */
function sections(stdout: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("@@")) found.set(line.slice(2), (current = []));
    else current?.push(line);
  }
  return found;
}

/** The lines of `systemctl show` for several units: one block each, blank-line separated. */
function unitBlocks(lines: readonly string[]): string[][] {
  const blocks: string[][] = [];
  let block: string[] = [];
  for (const line of lines) {
    if (line !== "") block.push(line);
    else if (block.length > 0) {
      blocks.push(block);
      block = [];
    }
  }
  if (block.length > 0) blocks.push(block);
  return blocks;
}

/**
 * A sha256sum line: digest and file name. A name holding a backslash or carriage return is
 * printed escaped, the line then starting with a backslash (GNU coreutils).
 */
function digestLine(line: string): [path: string, sha256: string] | undefined {
  const escaped = line.startsWith("\\");
  const rest = escaped ? line.slice(1) : line;
  if (!/^[0-9a-f]{64} [ *]/.test(rest)) return undefined;
  const name = rest.slice(66);
  const unescaped = escaped ? name.replace(/\\([\\nr])/g, (_m, c: string) => ({ n: "\n", r: "\r" })[c] ?? c) : name;
  return [unescaped, rest.slice(0, 64)];
}

/** Reads everything `request` names in one remote command (no write). */
export async function readHostSnapshot(connection: HostConnection, request: SnapshotRequest): Promise<HostSnapshot> {
  const paths = [...new Set([...request.paths, ...request.units.flatMap(unitPaths)])];
  const names = packageNames(request.packages);
  const units = [...new Set(request.units)];
  const artifacts = [...new Set(request.artifacts ?? [])];
  const stdout = await runRemoteChecked(connection, SNAPSHOT_SCRIPT, {
    purpose:
      `read the host (${paths.length} paths, ${units.length} units, ${names.length} packages` +
      (artifacts.length > 0 ? `, ${artifacts.length} artifacts)` : ")"),
    args: [names.join(" "), units.join(" "), String(artifacts.length), ...artifacts, ...paths],
    timeoutMs: 120_000,
  });
  const found = sections(stdout);
  const unreadable = (what: string) =>
    hostError(connection.host, "command", `${describeHost(connection)}: reading the host printed nothing for ${what}`);
  const section = (key: string) => {
    const lines = found.get(key);
    if (!lines) throw unreadable(`@@${key}`);
    return lines;
  };
  const snapshot: HostSnapshot = {
    installed: parseInstalled(section("packages").join("\n"), names),
    paths: {},
    units: {},
    artifacts: {},
  };

  const present = new Map<string, string[]>();
  for (const line of section("stat")) {
    const fields = line.split("\t");
    if (fields.length >= 7) present.set(fields.slice(6).join("\t"), fields.slice(0, 6));
  }
  const absent = new Set(section("absent"));
  const digests = new Map<string, string>();
  for (const line of section("sha256")) {
    const digest = digestLine(line);
    if (digest) digests.set(...digest);
  }
  for (const path of paths) {
    const fields = present.get(path);
    if (fields) snapshot.paths[path] = presentPath(fields, digests.get(path) ?? "");
    else if (absent.has(path)) snapshot.paths[path] = { exists: false };
    else throw unreadable(path);
  }

  const blocks = unitBlocks(section("units"));
  if (blocks.length !== units.length)
    throw hostError(
      connection.host,
      "command",
      `${describeHost(connection)}: reading the host: systemctl show printed ${blocks.length} units' states, expected ${units.length}`,
    );
  units.forEach((unit, n) => {
    const [unitFile, dropIn] = unitPaths(unit).map((path) => snapshot.paths[path]);
    snapshot.units[unit] = observedUnit(unitFile, dropIn, blocks[n]);
  });
  artifacts.forEach((dir, n) => (snapshot.artifacts[dir] = observedArtifactLines(section(`a:${n + 1}`))));
  return snapshot;
}

/** What the snapshot printed for one install directory. */
function observedArtifactLines(lines: string[]): ObservedArtifact {
  const seen: ObservedArtifact = {};
  for (const line of lines) {
    if (line.startsWith("marker ")) seen.marker = parseMarker(line.slice("marker ".length));
    else if (line.startsWith("current ")) seen.current = line.slice("current ".length);
  }
  return seen;
}
