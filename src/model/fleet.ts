/** The validated, resolved fleet: what every renderer and the program work from. */
import { configSyncSshKeyKey } from "../services/config-sync/secrets";
import { mqttPasswordKey } from "../services/mqtt-broker/secrets";
import { noderedCredentialSecretKey } from "../services/nodered/secrets";
import { upsMonitorPasswordKey } from "../services/ups/secrets";
import type { Role, ServiceSettings } from "./services";
import type { FleetParsed } from "./schema";

export interface Host {
  name: string;
  /** How the operator's machine reaches the host over SSH. */
  address: string;
  /** How the other hosts reach it: <name>.<site.domain>. */
  fqdn: string;
  role: Role;
  ssh: { user: string; port: number; hostKey: string };
  /** Enabled services with every setting resolved. */
  services: Partial<ServiceSettings>;
}

export interface MqttUser {
  name: string;
  publish: string[];
  subscribe: string[];
  /** Flat stack config key holding the password (read with requireSecret). */
  passwordKey: string;
}

export interface FleetModel {
  /** The stack file the fleet came from, for messages. */
  source: string;
  site: FleetParsed["site"];
  /** Sorted by name. */
  hosts: Host[];
  versions: FleetParsed["versions"];
  images: FleetParsed["images"];
  broker: { host: string; port: number; mode: "docker" | "native" };
  /** The host holding /opt/lyra/config (the mirrors' sync source). */
  configSource: { host: string; path: string };
  /** Sorted by name. */
  mqttUsers: MqttUser[];
}

/**
 * Secret keys other layers name directly (the operator's SSH key, the monitor's MQTT password).
 * Each service's own keys are defined in its module; these are the same constants.
 */
export const secretKeys = {
  mqttPassword: mqttPasswordKey,
  noderedCredentialSecret: noderedCredentialSecretKey,
  upsMonitorPassword: upsMonitorPasswordKey,
  configSyncSshKey: configSyncSshKeyKey,
  sshPrivateKey: "ssh-private-key",
} as const;

export function hostByName(fleet: FleetModel, name: string): Host {
  const host = fleet.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`${fleet.source}: no host named '${name}'`);
  return host;
}

/** The host running a service, or undefined when no host runs it. */
export function hostRunning(fleet: FleetModel, service: keyof ServiceSettings): Host | undefined {
  return fleet.hosts.find((h) => h.services[service]);
}
