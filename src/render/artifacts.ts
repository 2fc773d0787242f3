/**
 * A module's release artifact as a plan item, and the check that it is installed: one helper, so
 * every app Debian does not package is fetched, checked and laid out alike (src/model/artifacts.ts
 * has the stack's fields).
 */
import { buildFor, upstreamUrl } from "../model/artifacts";
import type { FleetModel, Host } from "../model/fleet";
import type { HealthCheck, PlannedArtifact } from "./plan";

/** Where every artifact is installed: <appsRoot>/<key>/<version>. */
export const appsRoot = "/opt/lyra/apps";

/** The file a host writes last to mark an install complete: "<sha256> <version>". */
export const artifactMarker = ".lyra-artifact";

export function installDirOf(key: string, version: string): string {
  return `${appsRoot}/${key}/${version}`;
}

/**
 * The artifact pinned for versions.<key> (its build for the host's architecture), installed at that version. `postInstall` runs as root
 * in its install dir after extracting; `restarts` are the units that run it.
 */
export function plannedArtifact(
  fleet: FleetModel,
  host: Host,
  key: string,
  install: { postInstall?: string; restarts: string[] },
): PlannedArtifact {
  const version = fleet.versions[key];
  // The schema requires a pin for every module's artifact key, and the model a build for every
  // host that installs it: a missing one is a module bug.
  const pins = fleet.artifacts[key];
  const pin = pins === undefined ? undefined : buildFor(pins, host.arch);
  if (version === undefined || pin === undefined)
    throw new Error(`internal: no version or ${host.arch} artifact pinned for '${key}' in ${fleet.source}`);
  const share = fleet.site.nas.artifacts.url;
  return {
    key,
    version,
    sha256: pin.sha256,
    urls: [
      `${share}/${key}/${version}/${pin.file}`,
      ...(pin.upstream !== undefined ? [upstreamUrl(pin.upstream, version)] : []),
    ],
    installDir: installDirOf(key, version),
    postInstall: install.postInstall ?? "",
    // A build for one architecture is checked against the host's before it is installed.
    ...(!("any" in pins) && { arch: host.arch }),
    restarts: [...install.restarts],
  };
}

/** `<host>: <key> <version> installed`: the marker holds exactly the pinned digest and version. */
export function artifactInstalled(host: Host, artifact: PlannedArtifact): HealthCheck {
  return {
    kind: "command",
    name: `${host.name}: ${artifact.key} ${artifact.version} installed`,
    command: `grep -qx '${artifact.sha256} ${artifact.version}' ${artifact.installDir}/${artifactMarker}`,
  };
}
