/**
 * The fleet's MQTT broker (mosquitto): the runbook's `mqtt-broker` container, or natively
 * `mqtt-broker.service`, from the same files under /etc/mosquitto/lyra. Also its metrics for
 * Prometheus (./mqtt-broker-metrics.ts), health checks and the runbook's broker-failure commands.
 */
import type { FleetModel, Host } from "../../model/fleet";
import type { ServiceRenderer } from "../../render/context";
import {
  serviceLabel,
  type HealthCheck,
  type PlanFragment,
  type PlannedContainer,
  type PlannedFile,
  type PlannedUnit,
  type RecoveryStep,
} from "../../render/plan";
import { hardened, longRunningUnit, unitFile } from "../../render/systemd";
import type { DataSetBackup } from "../module";
import { afterRestore } from "../backup/paths";
import { brokerMetricsEnabled, metricsFiles, metricsTimer, metricsUnits } from "./metrics";
import {
  aclFile,
  asMonitor,
  brokerConfigDir,
  brokerPaths,
  monitorClientOptions,
  monitorUser,
  mosquittoConf,
  nativeUnitName,
  passwdFile,
  runtimePaths,
} from "./mosquitto-config";
import type { MqttBrokerOptions } from "./options";
import { brokerContainerName, brokerPrerequisite } from "./prerequisite";
import { mqttPasswordKey } from "./secrets";
import { code } from "../../render/docs/markdown";
import { brokerOf } from "./placement";
import { mqttRoundTripScript } from "./round-trip-gate";
import { dockerEngine } from "./docker-engine";
import { healthWatch, registrationsWatch, watchOnBroker } from "./watch-commands";

export const containerName = brokerContainerName;
/** The eclipse-mosquitto image runs mosquitto as its user `mosquitto`, uid and gid 1883. */
const imageMosquittoGid = "1883";
const imageMosquittoUid = "1883";
const dataVolume = "mqtt-broker-data";

function brokerFiles(fleet: FleetModel): PlannedFile[] {
  const mode = brokerOf(fleet).mode;
  // Native: a restart re-reads everything. Docker: the container is recreated when a file listed
  // in its configFiles changes (their hash is a label), so no unit is restarted.
  const restarts = mode === "native" ? [nativeUnitName] : [];
  // Native: root-only, handed to the dynamic user through LoadCredential=. Docker: mosquitto reads
  // its password and ACL files after dropping to the image's user, so that group may read them.
  const secretGroup = mode === "native" ? "root" : imageMosquittoGid;
  const secretMode = mode === "native" ? "0600" : "0640";
  const monitorOptions = monitorClientOptions(fleet);
  return [
    {
      path: brokerPaths.conf,
      content: mosquittoConf(fleet, mode),
      mode: "0644",
      owner: "root",
      group: "root",
      restarts,
    },
    {
      path: brokerPaths.passwd,
      content: passwdFile(fleet),
      mode: secretMode,
      owner: "root",
      group: secretGroup,
      restarts,
    },
    { path: brokerPaths.acl, content: aclFile(fleet), mode: secretMode, owner: "root", group: secretGroup, restarts },
    // Read at each use (metrics run, healthcheck, an operator's mosquitto_sub): nothing to restart.
    {
      path: `${brokerPaths.monitorDir}/mosquitto_sub`,
      content: monitorOptions,
      mode: "0600",
      owner: "root",
      group: "root",
      restarts: [],
    },
    {
      path: `${brokerPaths.monitorDir}/mosquitto_pub`,
      content: monitorOptions,
      mode: "0600",
      owner: "root",
      group: "root",
      restarts: [],
    },
  ];
}

/** Where mosquitto.db is on the host: the native unit's StateDirectory=, or the container's volume. */
export function brokerDataPath(mode: "docker" | "native"): string {
  return mode === "native"
    ? runtimePaths.native.data.replace(/\/$/, "")
    : `/var/lib/docker/volumes/${dataVolume}/_data`;
}

/**
 * Before a backup: mosquitto writes its retained messages to mosquitto.db only every
 * autosave_interval and when it exits, so a message published since would be missing from the
 * snapshot. SIGUSR1 makes it write the file now (mosquitto(8)); the backup waits, bounded, for the
 * new file. A broker that is not running wrote it when it stopped.
 */
function saveBeforeBackup(mode: "docker" | "native"): string {
  const [running, signal] =
    mode === "native"
      ? [`systemctl -q is-active ${nativeUnitName}`, `systemctl kill --kill-who=main -s USR1 ${nativeUnitName}`]
      : [
          `[ "$(docker inspect -f '{{.State.Running}}' ${containerName} 2>/dev/null)" = true ]`,
          `docker kill -s USR1 ${containerName} >/dev/null`,
        ];
  return `if ${running}; then
  marker=$(mktemp)
  ${signal}
  tries=0
  until [ -n "$(find . -maxdepth 1 -name mosquitto.db -newer "$marker")" ]; do
    tries=$((tries + 1))
    [ "$tries" -le 60 ] || { rm -f "$marker"; echo "mosquitto did not write mosquitto.db within 30 s of SIGUSR1" >&2; exit 1; }
    sleep 0.5
  done
  rm -f "$marker"
fi`;
}

/** The broker's data set: restored before the native unit starts, or before the container is created (after its host). */
export function brokerBackup(mode: "docker" | "native"): DataSetBackup {
  const beforeBackup = saveBeforeBackup(mode);
  return mode === "native"
    ? { id: "mqtt-broker", unit: nativeUnitName, beforeBackup }
    : { id: "mqtt-broker", container: containerName, beforeBackup, afterRestore: dockerAfterRestore };
}

/**
 * The restore writes into the volume's directory before the program creates the volume (it runs in
 * the host's apply; the container comes after). Docker's `volume create` chowns an existing
 * directory to root, so the volume is made here first, and the files are then handed to the
 * image's mosquitto: a snapshot made in native mode holds that unit's dynamic user's files. Seen on
 * the lab: the container's mosquitto could not save mosquitto.db.new in a root-owned volume.
 */
const dockerAfterRestore = [
  `docker volume create ${dataVolume} >/dev/null`,
  `chown -R ${imageMosquittoUid}:${imageMosquittoGid} .`,
].join("\n");

function nativeUnit(fleet: FleetModel, host: Host): PlannedUnit {
  // On an empty host the retained messages come back from the NAS before it first starts.
  const unitSection = afterRestore(fleet, host, ["mqtt-broker"], {
    Description: "Lyra MQTT broker (mosquitto)",
    Documentation: "man:mosquitto(8) man:mosquitto.conf(5)",
    Wants: "network-online.target",
    // Debian's mosquitto package starts its own mosquitto.service on port 1883; ours replaces it.
    // Conflicts= alone stops it in parallel with our start (port 1883 still taken): the ordering
    // makes systemd finish the stop first (systemd.unit(5), Conflicts=).
    After: ["network-online.target", "mosquitto.service"],
    Conflicts: "mosquitto.service",
  });
  const content = unitFile({
    Unit: unitSection,
    Service: {
      // Debian's mosquitto is built with systemd support and reports when it is ready.
      Type: "notify",
      NotifyAccess: "main",
      ExecStart: `/usr/sbin/mosquitto -c ${brokerPaths.conf}`,
      Restart: "on-failure",
      RestartSec: 5,
      // No account to create: a dynamic user, its persistence in /var/lib/mqtt-broker, and the
      // password and ACL files copied in by systemd (they stay root-only on disk).
      DynamicUser: true,
      StateDirectory: "mqtt-broker",
      LoadCredential: [`passwd:${brokerPaths.passwd}`, `acl:${brokerPaths.acl}`],
      // The baseline sandbox as it is: the broker needs nothing relaxed.
      ...hardened(),
    },
    Install: { WantedBy: "multi-user.target" },
  });
  return longRunningUnit(nativeUnitName, content, unitSection);
}

/** Debian's own mosquitto.service (from the package) would hold port 1883: kept stopped and disabled. */
const debianMosquittoUnit: PlannedUnit = {
  name: "mosquitto.service",
  content: null,
  enabled: false,
  active: false,
  longRunning: false,
  after: [],
};

function container(fleet: FleetModel, host: string): PlannedContainer {
  const port = brokerOf(fleet).port;
  const paths = runtimePaths.docker;
  return {
    name: containerName,
    image: fleet.images["mqtt-broker"],
    ports: [{ container: port, host: port, protocol: "tcp" }],
    mounts: [
      { source: brokerConfigDir, target: "/mosquitto/config", readOnly: true, kind: "bind" },
      { source: dataVolume, target: paths.data.replace(/\/$/, ""), readOnly: false, kind: "volume" },
    ],
    restart: "unless-stopped",
    // A real MQTT check: log in as the monitor user and read a retained $SYS topic.
    healthcheck: {
      test: [
        "CMD",
        "env",
        `XDG_CONFIG_HOME=${paths.monitorDir}`,
        "mosquitto_sub",
        "-t",
        "$SYS/broker/uptime",
        "-C",
        "1",
        "-W",
        "5",
      ],
      intervalSeconds: 30,
      timeoutSeconds: 10,
      retries: 3,
    },
    labels: {
      [serviceLabel]: "mqtt-broker",
      "org.lyra-fleet.host": host,
      "org.lyra-fleet.managed-by": "lyra-fleet",
    },
    configFiles: [brokerPaths.conf, brokerPaths.passwd, brokerPaths.acl],
  };
}

/** Every mirror's retained registration or last will, each on its own topic (none without mirrors). */
const watchRegistrationsCommand = (fleet: FleetModel): string[] => {
  const watch = registrationsWatch(fleet);
  return watch ? [watchOnBroker(watch)] : [];
};

function recovery(fleet: FleetModel): RecoveryStep {
  const health = healthWatch(fleet);
  const watches = [...(health ? [watchOnBroker(health)] : []), ...watchRegistrationsCommand(fleet)];
  const roundTrip = `${asMonitor} mosquitto_pub -t lyra/test -m ping`;
  const commands =
    brokerOf(fleet).mode === "docker"
      ? [
          "systemctl status docker",
          `docker ps --filter name=${containerName}`,
          `docker logs --tail 100 ${containerName}`,
          `docker restart ${containerName}`,
          ...watches,
          roundTrip,
        ]
      : [
          "systemctl status mqtt-broker",
          "journalctl -u mqtt-broker -n 100",
          "systemctl restart mqtt-broker",
          ...watches,
          roundTrip,
        ];
  const broker = brokerOf(fleet);
  return {
    service: "mqtt-broker",
    commands,
    // Every host is the broker's client, so its failure is a scenario of its own.
    scenario: {
      title: "Broker failure",
      situation:
        `the MQTT broker, port ${code(broker.port)}, as ${broker.mode === "docker" ? "a Docker container" : "a systemd service"}. ` +
        "While it is down the mirrors are in emergency mode (below) and no heartbeats arrive.",
      gone: "container or unit gone, config edited",
      verify: { only: "mqtt", kinds: ["mqtt-roundtrip", "mqtt-fresh", "mqtt-registered"] },
    },
  };
}

export const render: ServiceRenderer<MqttBrokerOptions> = ({ fleet, host }) => {
  const native = brokerOf(fleet).mode === "native";
  const metrics = brokerMetricsEnabled(fleet);
  // Docker mode: the engine is part of the broker's host, so a fresh host can start the container.
  const engine: PlanFragment = native ? {} : dockerEngine(fleet, host);
  const checks: HealthCheck[] = [
    ...(engine.checks ?? []),
    native
      ? { kind: "unit", name: `${host.name}: ${nativeUnitName} active`, unit: nativeUnitName }
      : { kind: "container", name: `${host.name}: ${containerName} container healthy`, container: containerName },
    { kind: "mqtt-roundtrip", name: `${host.name}: mqtt round trip on lyra/test`, topic: "lyra/test" },
  ];
  if (metrics) checks.push({ kind: "unit", name: `${host.name}: ${metricsTimer} active`, unit: metricsTimer });
  const fragment: PlanFragment = {
    // mosquitto-clients: the metrics script and the runbook's mosquitto_sub/mosquitto_pub.
    packages: native ? ["mosquitto", "mosquitto-clients"] : ["mosquitto-clients", ...engine.packages!],
    directories: [
      ...(engine.directories ?? []),
      { path: "/etc/mosquitto", mode: "0755", owner: "root", group: "root" },
      { path: brokerConfigDir, mode: "0755", owner: "root", group: "root" },
      { path: brokerPaths.monitorDir, mode: "0700", owner: "root", group: "root" },
      ...(metrics ? [{ path: "/usr/local/lib/lyra", mode: "0755", owner: "root", group: "root" }] : []),
    ],
    files: [...brokerFiles(fleet), ...(engine.files ?? []), ...(metrics ? metricsFiles() : [])],
    units: [
      ...(native ? [nativeUnit(fleet, host), debianMosquittoUnit] : (engine.units ?? [])),
      ...(metrics ? metricsUnits(fleet, host.name) : []),
    ],
    containers: native ? [] : [container(fleet, host.name)],
    ports: [{ port: brokerOf(fleet).port, protocol: "tcp", service: "mqtt-broker" }],
    checks,
    recovery: [recovery(fleet)],
    serves: [
      {
        service: "mqtt-broker",
        summary: `MQTT broker, port ${brokerOf(fleet).port} (${brokerOf(fleet).mode})`,
        powerFirst: { name: "broker", why: "every other host connects to the broker" },
        mqttBroker: {
          port: brokerOf(fleet).port,
          user: monitorUser,
          // Every mirror's retained registration or last will, each on its own topic.
          watchRegistrations: watchRegistrationsCommand(fleet)[0],
        },
      },
    ],
    // The deploy's own proof that the broker works: a real round trip, as the verify command's user.
    mqttRoundTrips: [
      {
        name: "mqtt-round-trip",
        // Waits up to 60 s: a broker container may take that long to accept logins after a start.
        script: mqttRoundTripScript(brokerOf(fleet).port, 60, monitorUser, "lyra/test"),
        passwordKey: mqttPasswordKey(monitorUser),
        after: brokerPrerequisite(fleet),
      },
    ],
  };
  return fragment;
};
