/**
 * lyra-orchestrator.service: the FastAPI orchestrator on Lyra (the runbook's :8000, /healthz).
 *
 * The app is its release artifact (`artifacts.lyra-orchestrator`): a wheelhouse the host installs
 * into a venv inside the release's versioned directory, which the default command runs (systemd
 * does not expand variables in the executable's path, so the path is written out at render).
 * Command, user, working directory and environment may be set in the model. The MQTT password of the
 * `orchestrator` user reaches the app as a systemd credential: $CREDENTIALS_DIRECTORY/mqtt-password
 * holds the password alone, byte for byte, so no quoting rule of an env file can mangle it.
 */
import { hostRunning, type FleetModel, type Host } from "../../model/fleet";
import { orchestratorOwnedVariables } from "./options";
import type { ServiceRenderer } from "../../render/context";
import type { HealthCheck, PlanFragment } from "../../render/plan";
import { hardened, longRunningUnit, unitFile, type UnitSection } from "../../render/systemd";
import { brokerAddress, mqttPasswordFile } from "../mqtt-broker/client-credentials";
import type { OrchestratorOptions } from "./options";
import { unitPrerequisite } from "../../render/prerequisites";
import { brokerPrerequisite } from "../mqtt-broker/prerequisite";
import { httpAnswers, unitActive } from "../../render/checks";
import { artifactInstalled, plannedArtifact } from "../../render/artifacts";
import { curlAfterRestart } from "../../render/docs/shell";

const unitName = "lyra-orchestrator.service";
const configDir = "/etc/lyra/orchestrator";
export const orchestratorMqttPasswordPath = `${configDir}/mqtt-password`;
/** The broker account the orchestrator uses (src/model/resolve.ts implicitMqttUsers). */
const mqttUser = "orchestrator";

/**
 * One `Environment=` assignment, quoted for systemd: backslashes and double quotes escaped, `%`
 * doubled so a value is never read as a unit specifier (`$` is not expanded in Environment=).
 */
export function environmentAssignment(name: string, value: string): string {
  const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%");
  return `"${name}=${escaped}"`;
}

function environment(fleet: FleetModel, host: Host, settings: OrchestratorOptions): string[] {
  for (const name of Object.keys(settings.environment)) {
    if (orchestratorOwnedVariables.includes(name)) {
      throw new Error(
        `${fleet.source}: hosts.${host.name}.services.lyra-orchestrator.environment.${name}: set by lyra-fleet itself` +
          (name === "PORT" ? " (set `port` instead)" : ""),
      );
    }
  }
  const fromModel = Object.keys(settings.environment)
    .sort()
    .map((name) => environmentAssignment(name, settings.environment[name]));
  return [
    // Libraries that cache (model hubs, pip) write under HOME or XDG_CACHE_HOME: point both at the
    // unit's own writable directories instead of a home the sandbox hides.
    environmentAssignment("HOME", "/var/lib/lyra-orchestrator"),
    environmentAssignment("XDG_CACHE_HOME", "/var/cache/lyra-orchestrator"),
    ...fromModel,
    environmentAssignment("PORT", String(settings.port)),
    environmentAssignment("LYRA_ORCHESTRATOR_VERSION", fleet.versions["lyra-orchestrator"]),
    environmentAssignment("LYRA_MQTT_HOST", brokerAddress(fleet).host),
    environmentAssignment("LYRA_MQTT_PORT", String(brokerAddress(fleet).port)),
    environmentAssignment("LYRA_MQTT_USERNAME", mqttUser),
    // %d is the unit's credentials directory (LoadCredential= below); written unescaped on purpose.
    `"LYRA_MQTT_PASSWORD_FILE=%d/mqtt-password"`,
  ];
}

/** What the GPU needs, relaxed from hardened() only when the model says the orchestrator uses it. */
function gpuRelaxations(gpu: boolean): UnitSection {
  if (!gpu) return {};
  return {
    // PrivateDevices= would give the unit a /dev without the NVIDIA nodes. Keep DevicePolicy=closed
    // (only /dev/null, /dev/zero, /dev/random and the like) and allow every NVIDIA device group in
    // /proc/devices (nvidia-frontend, nvidia-uvm, nvidia-caps, ...) and nothing else.
    PrivateDevices: false,
    DeviceAllow: "char-nvidia* rw",
    // The NVIDIA user-space driver reads /proc/driver/nvidia/* (params, capabilities); ProcSubset=pid hides it.
    ProcSubset: "all",
    // CPython itself never maps writable+executable memory, so without the GPU the default stays.
    // GPU inference libraries do: PyTorch's oneDNN, for one, generates CPU kernels at run time
    // (xbyak) and mprotect()s them executable, which MemoryDenyWriteExecute= refuses.
    MemoryDenyWriteExecute: false,
  };
}

/** The wheelhouse's package, installed offline from the artifact's `wheels/` into `venv/`. */
export const orchestratorPostInstall = (version: string): string =>
  `python3 -m venv venv && venv/bin/pip install --no-index --find-links wheels lyra-orchestrator==${version}`;

/** The command the installed release serves the app with (systemd expands `${PORT}`). */
export const defaultOrchestratorCommand = (installDir: string): string =>
  `${installDir}/venv/bin/uvicorn lyra.orchestrator:app --host 0.0.0.0 --port \${PORT}`;

export const render: ServiceRenderer<OrchestratorOptions> = ({ fleet, host, settings }) => {
  const version = fleet.versions["lyra-orchestrator"];
  const artifact = plannedArtifact(fleet, host, "lyra-orchestrator", {
    postInstall: orchestratorPostInstall(version),
    restarts: [unitName],
  });
  const qdrantHere = hostRunning(fleet, "qdrant")?.name === host.name;
  const ordering = ["network-online.target", ...(qdrantHere ? ["qdrant.service"] : [])].join(" ");
  const unitSection = {
    Description: `Lyra orchestrator ${version} (FastAPI on :${settings.port})`,
    // Ordered after qdrant on the same host: the orchestrator opens its collections at start.
    Wants: ordering,
    After: ordering,
  };
  const unit = unitFile({
    Unit: unitSection,
    Service: {
      Type: "simple",
      // A dynamic user named as the model says: systemd allocates it at start, or uses the system
      // user of that name if one exists, so no account has to be created by hand.
      DynamicUser: true,
      User: settings.user,
      WorkingDirectory: settings.workingDirectory ?? artifact.installDir,
      StateDirectory: "lyra-orchestrator",
      CacheDirectory: "lyra-orchestrator",
      LoadCredential: `mqtt-password:${orchestratorMqttPasswordPath}`,
      Environment: environment(fleet, host, settings),
      ExecStart: settings.command ?? defaultOrchestratorCommand(artifact.installDir),
      Restart: "on-failure",
      RestartSec: "5s",
      ...hardened(gpuRelaxations(settings.gpu)),
    },
    Install: { WantedBy: "multi-user.target" },
  });

  const checks: HealthCheck[] = [
    artifactInstalled(host, artifact),
    unitActive(host, unitName),
    httpAnswers(host, "lyra-orchestrator /healthz", settings.port, "/healthz"),
  ];
  if (settings.gpu)
    checks.push({ kind: "command", name: `${host.name}: NVIDIA driver answers`, command: "nvidia-smi" });

  const fragment: PlanFragment = {
    // curl: the runbook's health check from the host itself; python3-venv: the release's venv.
    packages: ["curl", "python3-venv"],
    artifacts: [artifact],
    directories: [
      { path: "/etc/lyra", mode: "0755", owner: "root", group: "root" },
      { path: configDir, mode: "0700", owner: "root", group: "root" },
    ],
    files: [mqttPasswordFile(fleet, mqttUser, orchestratorMqttPasswordPath, [unitName])],
    units: [
      longRunningUnit(unitName, unit, unitSection, [
        ...(qdrantHere ? [unitPrerequisite(host.name, "qdrant.service")] : []),
        brokerPrerequisite(fleet),
      ]),
    ],
    ports: [{ port: settings.port, protocol: "tcp", service: "lyra-orchestrator" }],
    checks,
    recovery: [
      {
        service: "lyra-orchestrator",
        commands: [
          "systemctl restart lyra-orchestrator",
          `${curlAfterRestart} http://localhost:${settings.port}/healthz`,
          "journalctl -u lyra-orchestrator -n 100",
          ...(settings.gpu ? ["nvidia-smi"] : []),
        ],
      },
    ],
  };
  return fragment;
};
