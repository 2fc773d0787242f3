/**
 * The broker's own files: mosquitto.conf, the password file and the ACL file, plus the monitor
 * user's client options. Pure text builders for ./mqtt-broker.ts; the paths on the host are the
 * same in docker and native mode, only where mosquitto sees them differs.
 */
import type { FleetModel, MqttUser } from "../../model/fleet";
import { mosquittoHashToken, secretToken } from "../../render/secrets";
import { brokerOf } from "./placement";
import { mqttPasswordKey } from "./secrets";

/** Where the rendered broker files live on the broker host, in both modes. */
export const brokerConfigDir = "/etc/mosquitto/lyra";
export const brokerPaths = {
  conf: `${brokerConfigDir}/mosquitto.conf`,
  passwd: `${brokerConfigDir}/passwd`,
  acl: `${brokerConfigDir}/acl`,
  /** $XDG_CONFIG_HOME for mosquitto_sub/mosquitto_pub as the monitor user (options, not arguments). */
  monitorDir: `${brokerConfigDir}/monitor`,
} as const;

/** mosquitto_sub/mosquitto_pub as the monitor user on the broker host, password from the options file. */
export const asMonitor = `XDG_CONFIG_HOME=${brokerPaths.monitorDir}`;

/** The built-in user the health checks, the docker healthcheck and the broker metrics use. */
export const monitorUser = "monitor";

/** Where mosquitto itself finds its files and keeps its data, per mode. */
export interface BrokerRuntimePaths {
  passwd: string;
  acl: string;
  /** Directory for mosquitto.db, with a trailing slash as mosquitto expects. */
  data: string;
  /** The monitor's client options as the docker healthcheck sees them (docker only). */
  monitorDir: string;
}

export const nativeUnitName = "mqtt-broker.service";

export const runtimePaths: Record<"docker" | "native", BrokerRuntimePaths> = {
  // The image's default command reads /mosquitto/config/mosquitto.conf, so the rendered directory
  // is mounted there; /mosquitto/data belongs to the image's mosquitto user (uid 1883).
  docker: {
    passwd: "/mosquitto/config/passwd",
    acl: "/mosquitto/config/acl",
    data: "/mosquitto/data/",
    monitorDir: "/mosquitto/config/monitor",
  },
  // systemd copies LoadCredential= files here, readable by the unit's dynamic user only.
  native: {
    passwd: `/run/credentials/${nativeUnitName}/passwd`,
    acl: `/run/credentials/${nativeUnitName}/acl`,
    data: "/var/lib/mqtt-broker/",
    monitorDir: brokerPaths.monitorDir,
  },
};

const managed = "# Managed by lyra-fleet: edits are reverted by `pulumi up`.";

export function mosquittoConf(fleet: FleetModel, mode: "docker" | "native"): string {
  const paths = runtimePaths[mode];
  return [
    managed,
    `# The Lyra fleet's MQTT broker (${mode} mode). Every client authenticates; what each user may`,
    "# publish and read is in the ACL file, and everything not listed there is denied.",
    "per_listener_settings false",
    `listener ${brokerOf(fleet).port}`,
    "protocol mqtt",
    "allow_anonymous false",
    `password_file ${paths.passwd}`,
    `acl_file ${paths.acl}`,
    "",
    "# Retained messages and persistent sessions survive a restart.",
    "persistence true",
    `persistence_location ${paths.data}`,
    "autosave_interval 300",
    "# A re-flashed mirror comes back with a new session; forget the old one after a week.",
    "persistent_client_expiration 7d",
    "",
    // docker logs shows no time by default; the journal stamps every line itself.
    `# Logs go to ${mode === "docker" ? "`docker logs mqtt-broker`" : "the journal (`journalctl -u mqtt-broker`)"}.`,
    "log_dest stderr",
    `log_timestamp ${mode === "docker" ? "true" : "false"}`,
    "log_type error",
    "log_type warning",
    "log_type notice",
    "log_type information",
    "connection_messages true",
    "# $SYS/broker/... every 10 s: the healthcheck and the Prometheus metrics read it.",
    "sys_interval 10",
    "",
  ].join("\n");
}

/** One `user:hash` line per MQTT user; the hash is computed from the secret when it is resolved. */
export function passwdFile(fleet: FleetModel): string {
  return fleet.mqttUsers.map((u) => `${u.name}:${mosquittoHashToken(mqttPasswordKey(u.name), u.name)}\n`).join("");
}

// The monitor user also reads the broker's own counters (healthcheck and metrics); $SYS topics
// are outside the lyra/ tree the model's users are about.
// A Map: user names come from host names, and a host may be called `constructor`.
const brokerInternalReads = new Map<string, string[]>([[monitorUser, ["$SYS/broker/#"]]]);

function checkTopic(user: string, topic: string): string {
  // A newline would start a new ACL line (another user's rules); refuse rather than render it.
  if (/[\x00-\x1f\x7f]/.test(topic) || topic.trim() !== topic || topic === "") {
    throw new Error(`mqtt user '${user}': topic ${JSON.stringify(topic)} has control characters or surrounding spaces`);
  }
  return topic;
}

function aclBlock(user: MqttUser): string[] {
  const access = new Map<string, "read" | "write" | "readwrite">();
  for (const topic of user.publish) access.set(checkTopic(user.name, topic), "write");
  for (const topic of [...user.subscribe, ...(brokerInternalReads.get(user.name) ?? [])]) {
    const t = checkTopic(user.name, topic);
    access.set(t, access.get(t) === "write" ? "readwrite" : "read");
  }
  const topics = [...access.keys()].sort();
  return [`user ${user.name}`, ...topics.map((t) => `topic ${access.get(t)} ${t}`)];
}

/** mosquitto's acl_file: a `user` block per MQTT user, write = publish, read = subscribe. */
export function aclFile(fleet: FleetModel): string {
  const blocks = fleet.mqttUsers.map((u) => aclBlock(u).join("\n"));
  return [
    managed,
    "# One block per MQTT user; a topic not listed for a user is denied to it.",
    "",
    blocks.join("\n\n"),
    "",
  ].join("\n");
}

/**
 * Default options for mosquitto_sub/mosquitto_pub as the monitor user; mosquitto's clients read
 * them from $XDG_CONFIG_HOME/<program>, so the password never appears on a command line.
 */
export function monitorClientOptions(fleet: FleetModel): string {
  const monitor = fleet.mqttUsers.find((u) => u.name === monitorUser);
  if (!monitor) throw new Error(`internal: the built-in MQTT user '${monitorUser}' is missing from fleet.mqttUsers`);
  return [
    "# Managed by lyra-fleet: the monitor user's options for mosquitto_sub/mosquitto_pub.",
    "-h 127.0.0.1",
    `-p ${brokerOf(fleet).port}`,
    `-u ${monitor.name}`,
    `-P ${secretToken(mqttPasswordKey(monitor.name))}`,
    "",
  ].join("\n");
}
