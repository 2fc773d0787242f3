/**
 * lyra-client.service: the mirror's app (UI and voice front end). Not packaged by Debian: its
 * release artifact (`artifacts.lyra-client`) holds `bin/lyra-client`, installed by the host into
 * the release's versioned directory, which the unit runs. It serves GET /healthz on its port and
 * talks to the broker as the mirror's MQTT user.
 *
 * The runbook's offline fallback is configured in /etc/lyra/lyra-client/fallback.env: cached
 * answers under the cache path (/var/lib/lyra/cache), every failure appended to the fallback log
 * (/var/log/lyra-fallback.log), a reconnect every 30 s. The reconnect is also systemd's: the unit
 * restarts the client `reconnectSeconds` after any exit, forever.
 *
 * Where the files live, with a DynamicUser (whose UID is not known when the plan is made):
 * - the cache is the unit's StateDirectory= (or CacheDirectory= under /var/cache): systemd creates
 *   it at exactly the configured path and hands it to the service's user. State, not cache, by
 *   default: the cached answers are what the mirror serves through a power cut.
 * - the fallback log is a file directly in /var/log, which systemd cannot hand to a service. The
 *   log really lives in the unit's LogsDirectory= (/var/log/lyra-client/fallback.log) and the
 *   runbook's path is a symlink to it, made by systemd-tmpfiles from the tmpfiles.d entry below
 *   (at boot, and before each start). `tail /var/log/lyra-fallback.log` works as the runbook says.
 */
import { hostRunning } from "../../model/fleet";
import { clientLogsDirectory } from "./options";
import type { RenderContext, ServiceRenderer } from "../../render/context";
import { fqdnOf } from "../../render/context";
import type { PlanFragment } from "../../render/plan";
import { hardened, longRunningUnit, unitFile } from "../../render/systemd";
import { brokerUrl, mqttPasswordFile } from "../mqtt-broker/client-credentials";
import type { LyraClientOptions } from "./options";
import { brokerPrerequisite } from "../mqtt-broker/prerequisite";
import { httpAnswers, unitActive } from "../../render/checks";
import { artifactInstalled, plannedArtifact } from "../../render/artifacts";
import { curlAfterRestart } from "../../render/docs/shell";

export const lyraClientUnit = "lyra-client.service";
/** The binary inside an installed release. */
export const lyraClientBinaryOf = (installDir: string): string => `${installDir}/bin/lyra-client`;
export const lyraClientConfigDir = "/etc/lyra/lyra-client";
export const fallbackEnvPath = `${lyraClientConfigDir}/fallback.env`;
export const mqttPasswordPath = `${lyraClientConfigDir}/mqtt-password`;
export const tmpfilesPath = "/etc/tmpfiles.d/lyra-client.conf";
/** The client's LogsDirectory=; the model keeps the fallback log out of it. */
export const logsDirectory = clientLogsDirectory;
export const fallbackLogTarget = `${logsDirectory}/fallback.log`;
export const healthPath = "/healthz";

type Ctx = RenderContext<LyraClientOptions>;

function settingPath(ctx: Ctx, field: string): string {
  return `${ctx.fleet.source}: hosts.${ctx.host.name}.services.lyra-client.${field}`;
}

/** The unit entry that makes systemd create the cache at exactly `cachePath` for the service's user. */
export function cacheDirectoryEntry(ctx: Ctx): { StateDirectory: string } | { CacheDirectory: string } {
  const path = ctx.settings.cachePath;
  const under = (prefix: string) =>
    path.startsWith(prefix) && path.length > prefix.length ? path.slice(prefix.length).replace(/\/+$/, "") : undefined;
  const state = under("/var/lib/");
  if (state) return { StateDirectory: state };
  const cache = under("/var/cache/");
  if (cache) return { CacheDirectory: cache };
  throw new Error(
    `${settingPath(ctx, "cachePath")}: expected a path under /var/lib/ or /var/cache/ (systemd creates it for the client's user), got '${path}'`,
  );
}

function checkFallbackLog(ctx: Ctx): void {
  const log = ctx.settings.fallbackLog;
  if (log === logsDirectory || log.startsWith(`${logsDirectory}/`)) {
    throw new Error(
      `${settingPath(ctx, "fallbackLog")}: ${logsDirectory} is the client's own log directory; choose another path, e.g. /var/log/lyra-fallback.log`,
    );
  }
}

/** The client's settings, one KEY=value per line. */
export function fallbackEnvironment(ctx: Ctx): Record<string, string> {
  const { fleet, host, settings } = ctx;
  const orchestrator = hostRunning(fleet, "lyra-orchestrator");
  const stt = host.services["stt-service"];
  return {
    LYRA_CLIENT_NAME: host.name,
    LYRA_CLIENT_VERSION: fleet.versions["lyra-client"],
    LYRA_CLIENT_PORT: String(settings.port),
    LYRA_BROKER_URL: brokerUrl(fleet),
    LYRA_MQTT_USERNAME: host.name,
    ...(orchestrator
      ? {
          LYRA_ORCHESTRATOR_URL: `http://${fqdnOf(fleet, orchestrator.name)}:${orchestrator.services["lyra-orchestrator"]!.port}`,
        }
      : {}),
    ...(stt ? { LYRA_STT_URL: `http://127.0.0.1:${stt.port}` } : {}),
    LYRA_CACHE_DIR: settings.cachePath,
    LYRA_FALLBACK_LOG: settings.fallbackLog,
    LYRA_RECONNECT_SECONDS: String(settings.reconnectSeconds),
  };
}

export const render: ServiceRenderer<LyraClientOptions> = (ctx): PlanFragment => {
  const { fleet, host, settings } = ctx;
  checkFallbackLog(ctx);
  const version = fleet.versions["lyra-client"];
  const artifact = plannedArtifact(fleet, host, "lyra-client", { restarts: [lyraClientUnit] });
  const env = Object.entries(fallbackEnvironment(ctx))
    .map(([k, v]) => `${k}=${v}\n`)
    .join("");
  const sttHere = host.services["stt-service"] !== undefined;

  const unitSection = {
    Description: `Lyra mirror client (lyra-client ${version}) on port ${settings.port}`,
    Wants: ["network-online.target", ...(sttHere ? ["stt-service.service"] : [])].join(" "),
    After: ["network-online.target", ...(sttHere ? ["stt-service.service"] : [])].join(" "),
    // Never give up: the client keeps retrying for as long as the broker is away.
    StartLimitIntervalSec: 0,
  };
  const unit = unitFile({
    Unit: unitSection,
    Service: {
      Type: "exec",
      // Root ("+"), outside the sandbox: the runbook's log path is a symlink in /var/log, which
      // the service itself may not write. Idempotent; also run at boot by systemd-tmpfiles-setup.
      ExecStartPre: [`+/bin/systemd-tmpfiles --create ${tmpfilesPath}`, `/bin/touch ${fallbackLogTarget}`],
      ExecStart: lyraClientBinaryOf(artifact.installDir),
      EnvironmentFile: fallbackEnvPath,
      LoadCredential: `mqtt-password:${mqttPasswordPath}`,
      // %d: the credentials directory; the password never sits in the environment.
      Environment: "LYRA_MQTT_PASSWORD_FILE=%d/mqtt-password",
      ...cacheDirectoryEntry(ctx),
      LogsDirectory: "lyra-client",
      Restart: "always",
      // The runbook's reconnect interval.
      RestartSec: settings.reconnectSeconds,
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
      { path: lyraClientConfigDir, mode: "0755", owner: "root", group: "root" },
    ],
    files: [
      { path: fallbackEnvPath, content: env, mode: "0644", owner: "root", group: "root", restarts: [lyraClientUnit] },
      mqttPasswordFile(fleet, host.name, mqttPasswordPath, [lyraClientUnit]),
      {
        path: tmpfilesPath,
        // L: a symlink, made only where nothing exists yet (an old log file is never replaced).
        content: `# Managed by lyra-fleet: the runbook's fallback log path, pointing into lyra-client's log directory.\nL ${settings.fallbackLog} - - - - ${fallbackLogTarget}\n`,
        mode: "0644",
        owner: "root",
        group: "root",
        restarts: [lyraClientUnit],
      },
    ],
    units: [longRunningUnit(lyraClientUnit, unit, unitSection, [brokerPrerequisite(fleet)])],
    ports: [{ port: settings.port, protocol: "tcp", service: "lyra-client" }],
    // The runbook's emergency mode: while the broker is away it answers from its cache.
    offline: [
      {
        service: "lyra-client",
        cachePath: settings.cachePath,
        log: settings.fallbackLog,
        retrySeconds: settings.reconnectSeconds,
      },
    ],
    checks: [
      artifactInstalled(host, artifact),
      unitActive(host, lyraClientUnit),
      httpAnswers(host, "lyra-client health", settings.port, healthPath),
    ],
    recovery: [
      {
        service: "lyra-client",
        commands: [
          "systemctl restart lyra-client",
          `tail ${settings.fallbackLog}`,
          `ls ${settings.cachePath}`,
          `${curlAfterRestart} http://localhost:${settings.port}${healthPath}`,
        ],
      },
    ],
  };
};
