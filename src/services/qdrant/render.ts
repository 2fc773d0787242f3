/**
 * qdrant.service: the vector database the orchestrator uses, with its config file.
 *
 * Qdrant is not packaged in Debian: the release tarball (`versions.qdrant`, pinned under
 * `artifacts.qdrant`) holds the single binary `qdrant`, installed by the host into its versioned
 * directory; the unit runs it from there, so a pin change rewrites the unit (one restart) and
 * pinning back runs the old directory again. Storage and snapshots live in the unit's
 * StateDirectory=, so the dynamic user owns them.
 */
import type { FleetModel, Host } from "../../model/fleet";
import type { ServiceRenderer } from "../../render/context";
import { hardened, longRunningUnit, unitFile } from "../../render/systemd";
import { afterRestore } from "../backup/paths";
import { qdrantBackupId, qdrantRestoreEnv } from "./backup";
import type { QdrantOptions } from "./options";
import { httpAnswers, unitActive } from "../../render/checks";
import { artifactInstalled, plannedArtifact } from "../../render/artifacts";
import { curlAfterRestart } from "../../render/docs/shell";

const unitName = "qdrant.service";
/** The binary inside an installed release. */
export const qdrantBinaryOf = (installDir: string): string => `${installDir}/qdrant`;
export const qdrantConfigPath = "/etc/lyra/qdrant/config.yaml";
const stateRoot = "/var/lib/";

/**
 * The StateDirectory= entry (relative to /var/lib) for a storage path. Paths elsewhere would need
 * a fixed user to own them, which a dynamic user cannot be: refuse them with the setting's path.
 */
function stateDirectoryOf(
  fleet: FleetModel,
  host: Host,
  setting: "storagePath" | "snapshotsPath",
  path: string,
): string {
  const relative = path.startsWith(stateRoot) ? path.slice(stateRoot.length).replace(/\/+$/, "") : "";
  if (relative === "" || relative.split("/").includes("..")) {
    throw new Error(
      `${fleet.source}: hosts.${host.name}.services.qdrant.${setting}: expected a directory under /var/lib/ (qdrant's StateDirectory=), got '${path}'`,
    );
  }
  return relative;
}

export function qdrantConfig(settings: QdrantOptions): string {
  return [
    "# Managed by lyra-fleet: edits are reverted by `pulumi up`.",
    "log_level: INFO",
    "storage:",
    `  storage_path: ${settings.storagePath}`,
    `  snapshots_path: ${settings.snapshotsPath}`,
    "service:",
    "  host: 0.0.0.0",
    `  http_port: ${settings.port}`,
    `  grpc_port: ${settings.grpcPort}`,
    "# A home fleet reports nothing to the vendor.",
    "telemetry_disabled: true",
    "",
  ].join("\n");
}

export const render: ServiceRenderer<QdrantOptions> = ({ fleet, host, settings }) => {
  const version = fleet.versions.qdrant;
  const artifact = plannedArtifact(fleet, host, "qdrant", { restarts: [unitName] });
  const qdrantBinary = qdrantBinaryOf(artifact.installDir);
  const stateDirectories = [
    ...new Set([
      stateDirectoryOf(fleet, host, "storagePath", settings.storagePath),
      stateDirectoryOf(fleet, host, "snapshotsPath", settings.snapshotsPath),
    ]),
  ];
  // On an empty host its collections come back from the NAS before it first starts (./backup.ts).
  const unitSection = afterRestore(fleet, host, [qdrantBackupId], {
    // The version lives here too, so `systemctl status qdrant` says which release the fleet expects.
    Description: `Qdrant vector database ${version} (${qdrantBinary}, the release artifact)`,
    Wants: "network-online.target",
    After: "network-online.target",
  });
  const unit = unitFile({
    Unit: unitSection,
    Service: {
      Type: "simple",
      DynamicUser: true,
      StateDirectory: stateDirectories.join(" "),
      // Qdrant may write beside its working directory: keep that inside its own storage.
      WorkingDirectory: settings.storagePath,
      // Set only after a restore: the snapshots to recover at this start (./backup.ts).
      EnvironmentFile: `-${qdrantRestoreEnv}`,
      ExecStart: `${qdrantBinary} --config-path ${qdrantConfigPath} $QDRANT_RESTORE_ARGS`,
      // Recovered once: a later restart must not recover the snapshots again over newer data ("+": outside the sandbox, /run is read-only in it).
      ExecStartPost: `+/bin/rm -f ${qdrantRestoreEnv}`,
      Restart: "on-failure",
      RestartSec: "5s",
      // Every segment keeps files open; qdrant's docs ask for a high open-files limit.
      LimitNOFILE: 65536,
      ...hardened(),
    },
    Install: { WantedBy: "multi-user.target" },
  });

  return {
    // curl: the runbook's health check on the host.
    packages: ["curl"],
    artifacts: [artifact],
    directories: [
      { path: "/etc/lyra", mode: "0755", owner: "root", group: "root" },
      { path: "/etc/lyra/qdrant", mode: "0755", owner: "root", group: "root" },
    ],
    files: [
      {
        path: qdrantConfigPath,
        content: qdrantConfig(settings),
        mode: "0644",
        owner: "root",
        group: "root",
        restarts: [unitName],
      },
    ],
    units: [longRunningUnit(unitName, unit, unitSection)],
    ports: [
      { port: settings.port, protocol: "tcp", service: "qdrant" },
      { port: settings.grpcPort, protocol: "tcp", service: "qdrant" },
    ],
    checks: [
      artifactInstalled(host, artifact),
      unitActive(host, unitName),
      httpAnswers(host, "qdrant /readyz", settings.port, "/readyz"),
    ],
    recovery: [
      {
        service: "qdrant",
        commands: [
          "systemctl restart qdrant",
          `${curlAfterRestart} http://localhost:${settings.port}/readyz`,
          "journalctl -u qdrant -n 100",
          // Installed by `pulumi up` from the artifact share; this is the release the unit runs.
          `${qdrantBinary} --version`,
        ],
      },
    ],
  };
};
