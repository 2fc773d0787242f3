/**
 * Artifacts: an app installed from a .tar.gz at a pinned version and sha256, into its own
 * directory (/opt/lyra/apps/<key>/<version>), with `current` beside it pointing at the version
 * installed last. What a host has is told by the marker file an install writes last
 * (`<installDir>/.lyra-artifact`, "<sha256> <version>\n") and by where `current` points; nothing
 * else is read, so a refresh costs a few bytes per artifact. Pure: no I/O (the install is
 * ./artifact-batch.ts, the read ./host-snapshot.ts).
 */
import { absolutePathProblems, type Problem } from "./validation";
import { containsUnknown } from "./provider-support";

/** A declared artifact (the render layer's PlannedArtifact without its key and restarts). */
export interface ArtifactItem {
  version: string;
  /** sha256 of the .tar.gz, 64 lowercase hex digits. */
  sha256: string;
  /** http(s) URLs, tried in order (the NAS share first, then upstream). */
  urls: string[];
  /** Where it is extracted: /opt/lyra/apps/<key>/<version>. */
  installDir: string;
  /** POSIX sh run as root under `sh -e`, cwd installDir, after extracting; "" for none. */
  postInstall: string;
  /**
   * The architecture the build is for, as `uname -m` prints it: a host of another one refuses to
   * install it. Absent: the build runs on every architecture.
   */
  arch?: string;
}

/** What the host has of an artifact. */
export interface ArtifactState {
  /** The version its marker names (the one last recorded when it has none). */
  version: string;
  sha256: string;
  /** Its marker is there and `current` points at it. */
  installed: boolean;
  /** Where it was installed: a refresh reads the marker there, a delete removes it. */
  installDir: string;
}

/** What one read saw of an install directory. */
export interface ObservedArtifact {
  /** The marker's content, when it is a well-formed marker. */
  marker?: { sha256: string; version: string };
  /** Where `current` (beside the install directory) points, if it is a symlink. */
  current?: string;
}

/** The marker file an install writes last: its presence means the install is complete. */
export const MARKER_NAME = ".lyra-artifact";

/** The marker's content for this artifact. */
export const markerText = (item: Pick<ArtifactItem, "sha256" | "version">) => `${item.sha256} ${item.version}\n`;

/** Parses a marker's content; undefined when it is not one. */
export function parseMarker(text: string): ObservedArtifact["marker"] {
  const match = /^([0-9a-f]{64}) (\S+)\n?$/.exec(text);
  return match ? { sha256: match[1], version: match[2] } : undefined;
}

/** The directory holding an artifact's versions (/opt/lyra/apps/<key>). */
export const artifactHome = (installDir: string) => installDir.slice(0, installDir.lastIndexOf("/"));

/** The symlink to the version installed last. */
export const currentLink = (installDir: string) => `${artifactHome(installDir)}/current`;

/**
 * What a unit restarting on an artifact records as that path's trigger: the same while the same
 * build is installed. A reinstall of the same build restarts its units by RESTART_PENDING instead.
 */
export const artifactTrigger = (state: Pick<ArtifactState, "sha256" | "version" | "installed">) =>
  state.installed ? `artifact ${state.sha256} ${state.version}` : "";

/** The state of an artifact as seen by a read; `previous` is what was recorded. */
export function observedArtifact(previous: ArtifactState, seen: ObservedArtifact | undefined): ArtifactState {
  const marker = seen?.marker;
  return {
    version: marker?.version ?? previous.version,
    sha256: marker?.sha256 ?? previous.sha256,
    installed: marker !== undefined && seen?.current === previous.installDir,
    installDir: previous.installDir,
  };
}

/**
 * Whether the host's install directory already holds exactly this build (its marker matches), and
 * whether it is the current one.
 */
export function artifactOnHost(item: ArtifactItem, seen: ObservedArtifact | undefined) {
  const present = seen?.marker?.sha256 === item.sha256 && seen.marker.version === item.version;
  return { present, current: present && seen?.current === item.installDir };
}

/** What differs between the recorded state and the declaration, in words ([] when nothing). */
export function artifactDiffering(state: ArtifactState | undefined, item: ArtifactItem): string[] {
  if (!state) return [`absent, wanted ${item.version}`];
  if (state.version !== item.version) return [`${state.version} -> ${item.version}`];
  const differing: string[] = [];
  if (state.sha256 !== item.sha256)
    differing.push(`sha256 ${state.sha256.slice(0, 12)}… -> ${item.sha256.slice(0, 12)}…`);
  if (state.installDir !== item.installDir) differing.push(`installDir ${state.installDir} -> ${item.installDir}`);
  if (!state.installed) differing.push("not installed");
  return differing;
}

/**
 * Problems with the declared artifacts, each named by its key and field
 * (`artifacts["qdrant"].sha256`). Values in a script's words: URLs without blanks or quotes, a
 * version that is one path segment.
 */
export function artifactProblems(artifacts: unknown): Problem[] {
  if (artifacts === undefined || containsUnknown(artifacts)) return [];
  if (typeof artifacts !== "object" || artifacts === null || Array.isArray(artifacts))
    return [{ property: "artifacts", reason: "must be an object of artifacts by key" }];
  const problems: Problem[] = [];
  const homes = new Map<string, string>();
  for (const [key, raw] of Object.entries(artifacts as Record<string, unknown>)) {
    const where = `artifacts[${JSON.stringify(key)}]`;
    const problem = (field: string, reason: string) => problems.push({ property: `${where}.${field}`, reason });
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(key))
      problems.push({ property: where, reason: "the key must be lowercase letters, digits, '.', '_' or '-'" });
    if (typeof raw !== "object" || raw === null) {
      problems.push({
        property: where,
        reason: "must be an object with version, sha256, urls, installDir, postInstall",
      });
      continue;
    }
    const item = raw as Partial<Record<keyof ArtifactItem, unknown>>;
    if (typeof item.version !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._+~-]*$/.test(item.version))
      problem(
        "version",
        `must be a version such as "1.13.0" (letters, digits, . _ + ~ -), got ${JSON.stringify(item.version)}`,
      );
    if (typeof item.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(item.sha256))
      problem(
        "sha256",
        `must be 64 lowercase hex digits (the sha256 of the .tar.gz), got ${JSON.stringify(item.sha256)}`,
      );
    if (!Array.isArray(item.urls) || item.urls.length === 0) problem("urls", "must list at least one http(s) URL");
    else
      item.urls.forEach((url, i) => {
        if (typeof url !== "string" || !/^https?:\/\/[^\s'"\\]+$/.test(url))
          problem(
            `urls[${i}]`,
            `must be an http:// or https:// URL without blanks or quotes, got ${JSON.stringify(url)}`,
          );
      });
    const dirProblems = absolutePathProblems(`${where}.installDir`, item.installDir);
    problems.push(...dirProblems);
    if (dirProblems.length === 0 && typeof item.installDir === "string") {
      const home = artifactHome(item.installDir);
      if (home === "" || home === "/")
        problem(
          "installDir",
          `must be a version directory inside the artifact's own directory, got ${JSON.stringify(item.installDir)}`,
        );
      else if (homes.has(home))
        problem(
          "installDir",
          `shares ${home} with artifact ${JSON.stringify(homes.get(home))}: each artifact needs its own directory`,
        );
      else homes.set(home, key);
      if (/[\x00-\x1f]/.test(item.installDir)) problem("installDir", "must not contain control characters");
      if (item.installDir.endsWith("/current"))
        problem("installDir", 'must not be named "current" (the link to the version in use)');
    }
    if (typeof item.postInstall !== "string") problem("postInstall", 'must be a shell script, or "" for none');
    if (item.arch !== undefined && (typeof item.arch !== "string" || !/^[a-z0-9_]+$/.test(item.arch)))
      problem(
        "arch",
        `must be an architecture as \`uname -m\` prints it, e.g. "aarch64", got ${JSON.stringify(item.arch)}`,
      );
  }
  return problems;
}
