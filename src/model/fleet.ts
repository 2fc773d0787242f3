/** The validated, resolved fleet: what every renderer and the program work from. */
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

/** Secrets, as flat stack config keys, that the fleet needs. */
export const secretKeys = {
  mqttPassword: (user: string) => `mqtt-password-${user}`,
  noderedCredentialSecret: "nodered-credential-secret",
  /** The NUT monitor user's password (upsd.users, upsmon.conf) on a host with a UPS. */
  upsMonitorPassword: "ups-monitor-password",
  /** The mirrors' config-sync SSH private key (its public half is authorized on the config source). */
  configSyncSshKey: "config-sync-ssh-key",
  sshPrivateKey: "ssh-private-key",
} as const;

/** Every secret key the fleet reads, sorted; the README's `pulumi config set --secret` list. */
export function requiredSecretKeys(fleet: FleetModel): string[] {
  const keys = fleet.mqttUsers.map((u) => u.passwordKey);
  if (fleet.hosts.some((h) => h.services.nodered)) keys.push(secretKeys.noderedCredentialSecret);
  if (fleet.hosts.some((h) => h.services.ups)) keys.push(secretKeys.upsMonitorPassword);
  if (fleet.hosts.some((h) => h.services["config-sync"])) keys.push(secretKeys.configSyncSshKey);
  return keys.sort();
}

export function hostByName(fleet: FleetModel, name: string): Host {
  const host = fleet.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`${fleet.source}: no host named '${name}'`);
  return host;
}

/** The host running a service, or undefined when no host runs it. */
export function hostRunning(fleet: FleetModel, service: keyof ServiceSettings): Host | undefined {
  return fleet.hosts.find((h) => h.services[service]);
}
