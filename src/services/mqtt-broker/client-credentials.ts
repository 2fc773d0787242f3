/**
 * MQTT credentials for services on a host that talk to the broker (the mirror's mqtt-client and
 * lyra-client, the health publisher). Shared because every one of them needs the same three things:
 * the broker's address, the host's MQTT user and that user's password, delivered without the
 * password ever reaching a command line or a world-readable file.
 *
 * mosquitto_pub and mosquitto_sub read default options (one per line, `-h host`) from
 * `$XDG_CONFIG_HOME/mosquitto_pub` / `mosquitto_sub`. The files below are mode 0600 root and handed
 * to the unit with `LoadCredential=`; `Environment=XDG_CONFIG_HOME=%d` makes the clients read them
 * from the unit's credentials directory, so a DynamicUser service can read its own copy and nothing
 * else can.
 */
import type { FleetModel } from "../../model/fleet";
import { fqdnOf } from "../../render/context";
import type { PlannedFile } from "../../render/plan";
import { secretToken } from "../../render/secrets";
import { mqttPasswordKey } from "./secrets";
import { brokerOf } from "./placement";

export type MosquittoClient = "mosquitto_pub" | "mosquitto_sub";

/** The broker as the other hosts reach it. */
export function brokerAddress(fleet: FleetModel): { host: string; port: number } {
  return { host: fqdnOf(fleet, brokerOf(fleet).host), port: brokerOf(fleet).port };
}

/** `mqtt://<broker fqdn>:<port>`, for applications configured by URL. */
export function brokerUrl(fleet: FleetModel): string {
  const { host, port } = brokerAddress(fleet);
  return `mqtt://${host}:${port}`;
}

function requireUser(fleet: FleetModel, user: string): void {
  if (!fleet.mqttUsers.some((u) => u.name === user)) {
    throw new Error(
      `internal: MQTT user '${user}' is not in the fleet's users (${fleet.mqttUsers.map((u) => u.name).join(", ")})`,
    );
  }
}

/** A mosquitto client options file: broker, user and the password as a secret token. */
export function mosquittoOptions(fleet: FleetModel, user: string): string {
  requireUser(fleet, user);
  const { host, port } = brokerAddress(fleet);
  return [`-h ${host}`, `-p ${port}`, `-u ${user}`, `-P ${secretToken(mqttPasswordKey(user))}`, ""].join("\n");
}

export interface MosquittoCredentials {
  /** The options files, 0600 root, one per client program. */
  files: PlannedFile[];
  /** `[Service]` entries to merge into the unit. */
  service: { LoadCredential: string[]; Environment: string[] };
}

/**
 * Options files for `clients` under `directory` (e.g. /etc/lyra/mqtt-client), and the unit entries
 * that load them as credentials named after the client program.
 */
export function mosquittoCredentials(
  fleet: FleetModel,
  opts: { user: string; directory: string; clients: MosquittoClient[]; restarts: string[] },
): MosquittoCredentials {
  const content = mosquittoOptions(fleet, opts.user);
  const clients = [...new Set(opts.clients)].sort();
  return {
    files: clients.map((client) => ({
      path: `${opts.directory}/${client}`,
      content,
      mode: "0600",
      owner: "root",
      group: "root",
      restarts: [...opts.restarts],
    })),
    service: {
      LoadCredential: clients.map((client) => `${client}:${opts.directory}/${client}`),
      // %d: the unit's credentials directory, where LoadCredential= puts the copies.
      Environment: ["XDG_CONFIG_HOME=%d"],
    },
  };
}

/**
 * The user's password alone (for applications that take a password file rather than mosquitto's
 * options), 0600 root, to be loaded with `LoadCredential=<name>:<path>`.
 */
export function mqttPasswordFile(fleet: FleetModel, user: string, path: string, restarts: string[]): PlannedFile {
  requireUser(fleet, user);
  return {
    path,
    content: secretToken(mqttPasswordKey(user)),
    mode: "0600",
    owner: "root",
    group: "root",
    restarts: [...restarts],
  };
}
