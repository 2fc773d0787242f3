/**
 * One read of a whole host: every path, unit and package a HostState declares, observed by a
 * single remote command and computed on the host (digests by sha256sum, states by systemctl and
 * dpkg-query). A no-op `pulumi up` then costs one round trip per host and refresh, whatever the
 * host holds; the single-item providers' pure `observed*` functions turn what it saw into state,
 * so a host reads exactly as its items would one by one.
 */
import { describeHost, type HostConnection } from "../transport/connection";
import { hostError } from "../transport/errors";
import { parseStatLine, type PathState, STAT_FUNCTION } from "../transport/remote-path";
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
 * Prints a marker line before each item ("@@packages", "@@p:<path>", "@@u:<unit>", "@@a:<dir>"),
 * then what lyra_stat, dpkg-query or systemctl show print for it; for an artifact's install
 * directory, its marker's first line ("marker ...") and where `current` points ("current ..."). No line of theirs starts with "@@", and
 * paths hold no line break (validation refuses control characters), so the markers cut cleanly.
 * Package names are one argument, split by the shell: they are words of [a-z0-9.+-] only.
 */
const SNAPSHOT_SCRIPT = `${STAT_FUNCTION}
lyra_packages() { ${DPKG_QUERY}; }
packages=$1; shift
echo '@@packages'
# shellcheck disable=SC2086
[ -z "$packages" ] || lyra_packages $packages
for item in "$@"; do
  echo "@@$item"
  case $item in
    p:*) lyra_stat "\${item#p:}" ;;
    u:*) systemctl show ${UNIT_SHOW_PROPERTIES} -- "\${item#u:}" ;;
    a:*)
      dir=\${item#a:}
      if [ -f "$dir/${MARKER_NAME}" ] && [ ! -L "$dir/${MARKER_NAME}" ]; then
        printf 'marker %s\\n' "$(head -c 200 "$dir/${MARKER_NAME}" | head -n 1)"
      fi
      if current=$(readlink -- "\${dir%/*}/current" 2>/dev/null); then printf 'current %s\\n' "$current"; fi ;;
  esac
done`;

/** The paths a unit's observation needs. */
const unitPaths = (unit: string) => [unitFilePath(unit), dropInPath(unit)];

/** Output split at the marker lines: the lines after each marker, by marker. */
function sections(stdout: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("@@")) found.set(line.slice(2), (current = []));
    else if (current && line !== "") current.push(line);
  }
  return found;
}

/** Reads everything `request` names in one remote command (no write). */
export async function readHostSnapshot(connection: HostConnection, request: SnapshotRequest): Promise<HostSnapshot> {
  const paths = [...new Set([...request.paths, ...request.units.flatMap(unitPaths)])];
  const names = packageNames(request.packages);
  const artifacts = [...new Set(request.artifacts ?? [])];
  const stdout = await runRemoteChecked(connection, SNAPSHOT_SCRIPT, {
    purpose:
      `read the host (${paths.length} paths, ${request.units.length} units, ${names.length} packages` +
      (artifacts.length > 0 ? `, ${artifacts.length} artifacts)` : ")"),
    args: [
      names.join(" "),
      ...paths.map((path) => `p:${path}`),
      ...request.units.map((unit) => `u:${unit}`),
      ...artifacts.map((dir) => `a:${dir}`),
    ],
    timeoutMs: 120_000,
  });
  const found = sections(stdout);
  const section = (key: string) => {
    const lines = found.get(key);
    if (!lines)
      throw hostError(
        connection.host,
        "command",
        `${describeHost(connection)}: reading the host printed nothing for ${key}`,
      );
    return lines;
  };
  const snapshot: HostSnapshot = {
    installed: parseInstalled(section("packages").join("\n"), names),
    paths: {},
    units: {},
    artifacts: {},
  };
  for (const path of paths) snapshot.paths[path] = parseStatLine(section(`p:${path}`)[0] ?? "");
  for (const unit of request.units) {
    const [unitFile, dropIn] = unitPaths(unit).map((path) => snapshot.paths[path]);
    snapshot.units[unit] = observedUnit(unitFile, dropIn, section(`u:${unit}`));
  }
  for (const dir of artifacts) snapshot.artifacts[dir] = observedArtifactLines(section(`a:${dir}`));
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
