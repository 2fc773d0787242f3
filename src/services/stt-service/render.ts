/**
 * stt-service.service: the mirror's speech-to-text app. Not packaged by Debian: its release
 * artifact (`artifacts.stt-service`) holds `bin/stt-service`, installed by the host into the
 * release's versioned directory, which the unit runs. It is configured through its environment
 * file and answers GET /health on its port.
 *
 * It receives audio from lyra-client over HTTP, so it needs no device; speech models it downloads
 * live in its state directory, scratch space in its cache directory.
 */
import type { ServiceRenderer } from "../../render/context";
import type { PlanFragment } from "../../render/plan";
import { hardened, unitFile } from "../../render/systemd";
import type { SttServiceOptions } from "./options";
import { httpAnswers, unitActive } from "../../render/checks";
import { artifactInstalled, plannedArtifact } from "../../render/artifacts";
import { curlAfterRestart } from "../../render/docs/shell";

export const sttUnit = "stt-service.service";
/** The binary inside an installed release. */
export const sttBinaryOf = (installDir: string): string => `${installDir}/bin/stt-service`;
export const sttConfigDir = "/etc/lyra/stt-service";
export const sttEnvPath = `${sttConfigDir}/stt-service.env`;
export const sttHealthPath = "/health";

export const render: ServiceRenderer<SttServiceOptions> = ({ fleet, host, settings }): PlanFragment => {
  const version = fleet.versions["stt-service"];
  const artifact = plannedArtifact(fleet, host, "stt-service", { restarts: [sttUnit] });
  const env = [
    `STT_SERVICE_VERSION=${version}`,
    // Listens on every address: lyra-client calls it locally, the verify command over the LAN.
    "STT_SERVICE_HOST=0.0.0.0",
    `STT_SERVICE_PORT=${settings.port}`,
    "STT_SERVICE_MODELS_DIR=/var/lib/stt-service",
    "STT_SERVICE_CACHE_DIR=/var/cache/stt-service",
    "",
  ].join("\n");

  const unit = unitFile({
    Unit: {
      Description: `Lyra speech-to-text (stt-service ${version}) on port ${settings.port}`,
      Wants: "network-online.target",
      After: "network-online.target",
    },
    Service: {
      Type: "exec",
      ExecStart: sttBinaryOf(artifact.installDir),
      EnvironmentFile: sttEnvPath,
      StateDirectory: "stt-service",
      CacheDirectory: "stt-service",
      Restart: "always",
      RestartSec: 5,
      DynamicUser: true,
      ...hardened({
        // Sees no user but its own transient one (and root).
        PrivateUsers: true,
      }),
    },
    Install: { WantedBy: "multi-user.target" },
  });

  return {
    artifacts: [artifact],
    directories: [
      { path: "/etc/lyra", mode: "0755", owner: "root", group: "root" },
      { path: sttConfigDir, mode: "0755", owner: "root", group: "root" },
    ],
    files: [{ path: sttEnvPath, content: env, mode: "0644", owner: "root", group: "root", restarts: [sttUnit] }],
    units: [{ name: sttUnit, content: unit, enabled: true, active: true, longRunning: true, after: [] }],
    ports: [{ port: settings.port, protocol: "tcp", service: "stt-service" }],
    checks: [
      artifactInstalled(host, artifact),
      unitActive(host, sttUnit),
      httpAnswers(host, "stt-service health", settings.port, sttHealthPath),
    ],
    recovery: [
      {
        service: "stt-service",
        commands: [
          "systemctl restart stt-service",
          "journalctl -u stt-service -n 20 --no-pager",
          `${curlAfterRestart} http://localhost:${settings.port}${sttHealthPath}`,
        ],
      },
    ],
  };
};
