/** The validated, resolved fleet: what every renderer and the program work from. */
import type { PinnedImage, PinnedVersion, Role, ServiceSettings } from "./services";
import type { FleetParsed } from "./schema";
import type { Architecture, ArtifactPin } from "./artifacts";
import type { BackupSettings } from "../services/backup/settings";

export interface Host {
  name: string;
  /** How the operator's machine reaches the host over SSH. */
  address: string;
  /** How the other hosts reach it: <name>.<site.domain>. */
  fqdn: string;
  role: Role;
  /** Its CPU architecture: which build of each release artifact it installs. */
  arch: Architecture;
  /** How to log in; connectTimeoutSeconds only when the stack sets one (else 10 s: see ./schema.ts). */
  ssh: { user: string; port: number; hostKey: string; connectTimeoutSeconds?: number };
  /** Enabled services with every setting resolved. */
  services: Partial<ServiceSettings>;
}

export interface MqttUser {
  name: string;
  publish: string[];
  subscribe: string[];
  /** The service whose module brings this user (orchestrator: lyra-orchestrator); none for a host's own or a stack's extra user. */
  service?: string;
  /** Used from the operator's machine (verify, the deploy gate: monitor), not by a service on its host. */
  operator?: true;
}

export interface FleetModel {
  /** The stack file the fleet came from, for messages. */
  source: string;
  site: FleetParsed["site"];
  /** Sorted by name. */
  hosts: Host[];
  /** Each key pinned by the module that runs it (its `versions`); an extension's keys are there too. */
  versions: Record<PinnedVersion, string> & Record<string, string>;
  /** Each key pinned by the module that runs it (its `images`). */
  images: Record<PinnedImage, string> & Record<string, string>;
  /** Each release artifact's pin, by its versions key (the modules' `artifacts`). */
  artifacts: Record<string, ArtifactPin>;
  /** Sorted by name. */
  mqttUsers: MqttUser[];
  /** The stack's `backup:` section: absent, no host backs anything up. */
  backup?: BackupSettings;
}

/**
 * The operator's SSH key (optional: else the ssh-agent). The one secret no service owns; each
 * service's keys are constants in its module's secrets.ts.
 */
export const sshPrivateKeySecret = "ssh-private-key";

export function hostByName(fleet: FleetModel, name: string): Host {
  const host = fleet.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`${fleet.source}: no host named '${name}'`);
  return host;
}

/**
 * The hosts running each service, by the model's hosts list: the renderers ask where the broker runs
 * for every host's files, which scanned every host each time (quadratic in a large fleet). A model
 * is not changed once built, and one given a new hosts list gets a new entry.
 */
const runningByService = new WeakMap<readonly Host[], Map<string, Host[]>>();

/** The hosts running a service, in the model's order (one list per model and service: do not change it). */
export function hostsRunning(fleet: FleetModel, service: string): readonly Host[] {
  let byService = runningByService.get(fleet.hosts);
  if (byService === undefined) runningByService.set(fleet.hosts, (byService = new Map<string, Host[]>()));
  let running = byService.get(service);
  if (running === undefined) {
    running = fleet.hosts.filter((h) => (h.services as Record<string, unknown>)[service] !== undefined);
    byService.set(service, running);
  }
  return running;
}

/**
 * The one host running a service the fleet has exactly one of (its module says `onePerFleet`,
 * so a parsed stack has it); throws only for a hand-built model that skipped validation.
 */
export function soleHostRunning(fleet: FleetModel, service: string): Host {
  const running = hostsRunning(fleet, service);
  if (running.length !== 1)
    throw new Error(`${fleet.source}: expected exactly one host running ${service}, found ${running.length}`);
  return running[0];
}

/** The host running a service, or undefined when no host runs it. */
export function hostRunning(fleet: FleetModel, service: keyof ServiceSettings): Host | undefined {
  return hostsRunning(fleet, service)[0];
}
