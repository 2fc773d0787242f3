/**
 * The HostPlan: the complete desired state of one host as plain data.
 *
 * Built without Pulumi and without I/O by the renderers, then rendered to disk (`npm run render`),
 * documented by the generated docs, and mapped by src/fleet onto one HostState resource per host
 * (item for item) and its health gate.
 */
import type { Architecture } from "../model/artifacts";

/** A file a host must have. */
export interface PlannedFile {
  /** Absolute path on the host. */
  path: string;
  /**
   * Full content. Secret values appear only as secret tokens (see ./secrets.ts), resolved by the
   * Pulumi layer into a secret output, or masked by `npm run render`.
   */
  content: string;
  /** Octal mode as four digits, e.g. "0644". */
  mode: string;
  owner: string;
  group: string;
  /** Units restarted when this file changes (e.g. mosquitto.conf restarts mqtt-broker.service). */
  restarts: string[];
}

/** A directory a host must have (created before any file in it). */
export interface PlannedDirectory {
  path: string;
  mode: string;
  owner: string;
  group: string;
}

/** A systemd unit installed under /etc/systemd/system. */
export interface PlannedUnit {
  /** Full unit name with its suffix, as the runbook uses it: "qdrant.service", "lyra-config-sync.timer". */
  name: string;
  /**
   * The unit file written to /etc/systemd/system/<name>. Null for a unit its Debian package ships
   * (prometheus.service, chrony.service): then only its enabled/active state is managed, and
   * `dropIn` may add a drop-in (/etc/systemd/system/<name>.d/lyra-fleet.conf).
   */
  content: string | null;
  /** Drop-in for a packaged unit (content null); ignored otherwise. */
  dropIn?: string;
  /** Enabled at boot. */
  enabled: boolean;
  /** Should be running now. False for units that a timer triggers (oneshot services). */
  active: boolean;
  /** Long-running unit: scored by `systemd-analyze security`, listed in health checks. */
  longRunning: boolean;
  /**
   * A timer whose service first runs later than the timer starts (a nightly backup): the health
   * gate does not wait for that first run. Omitted: the service runs as the timer starts, and the
   * gate waits for it to succeed once (a rebuilt mirror has its config).
   */
  firstRunLater?: boolean;
  /**
   * Units its [Unit] section names (After=, Requires=, Wants=, BindsTo=; see unitsNamedIn in
   * ./systemd.ts); those of its own host start first. Omitted: it names none.
   */
  startsAfter?: string[];
  /**
   * What must be converged before this unit: typed references, so the fleet program maps them to
   * dependencies without parsing anything. Units on the same host named in After=, Requires= or
   * Wants= are ordered too.
   */
  after: Prerequisite[];
}

/**
 * Something on a host that a unit waits for. `label` is how the docs name it ("vega/broker",
 * "lyra/qdrant.service"); the rest is what the fleet program depends on.
 */
export type Prerequisite =
  /** A unit: on the same host the unit starts after it; on another, that host converges first. */
  | { kind: "unit"; label: string; host: string; unit: string }
  /** A container (see PlannedContainer): the container is created first. */
  | { kind: "container"; label: string; host: string; container: string }
  /** A whole host converged (the config source: its tree, the sync account and its key). */
  | { kind: "host"; label: string; host: string };

/**
 * A release artifact the host installs (an app Debian does not package): the .tar.gz is fetched
 * from the first of `urls` that answers, checked against `sha256`, extracted into `installDir`,
 * then `postInstall` runs there. The host marks a complete install by writing, last,
 * `<installDir>/.lyra-artifact` ("<sha256> <version>\n"), and points `/opt/lyra/apps/<key>/current`
 * at it. A new version is a new directory, so a pin change installs beside the old one and pinning
 * back finds the old one still there.
 */
export interface PlannedArtifact {
  /** The `versions:` key: "qdrant". */
  key: string;
  version: string;
  /** 64 lowercase hex digits, of the .tar.gz. */
  sha256: string;
  /** http(s), tried in order: the NAS share first, then upstream when declared. */
  urls: string[];
  /** /opt/lyra/apps/<key>/<version> */
  installDir: string;
  /** POSIX sh run as root with cwd installDir after extracting; "" for none. */
  postInstall: string;
  /** The architecture (`uname -m`) the build is for; absent when one build runs on every one. */
  arch?: Architecture;
  /** Unit names restarted when it is (re)installed. */
  restarts: string[];
}

/** A Docker container, run by the docker provider over SSH after its host has converged (it may mount the host's files). */
export interface PlannedContainer {
  name: string;
  /** Image pinned by digest. */
  image: string;
  ports: { container: number; host: number; protocol: "tcp" | "udp" }[];
  /** Host paths or named volumes mounted into the container. */
  mounts: { source: string; target: string; readOnly: boolean; kind: "bind" | "volume" }[];
  restart: "unless-stopped" | "always" | "on-failure" | "no";
  healthcheck: { test: string[]; intervalSeconds: number; timeoutSeconds: number; retries: number };
  labels: Record<string, string>;
  /** Files whose change recreates the container (their hash goes into a label). */
  configFiles: string[];
}

/** A check the runbook runs after a recovery; also shown in the docs. */
export type HealthCheck =
  | { kind: "http"; name: string; url: string; expectStatus: number }
  | { kind: "unit"; name: string; unit: string }
  | { kind: "container"; name: string; container: string }
  | { kind: "mqtt-roundtrip"; name: string; topic: string }
  | { kind: "mqtt-fresh"; name: string; topic: string; withinSeconds: number }
  /** `client`'s retained registration on `topic` says online, or it registers within the window. */
  | { kind: "mqtt-registered"; name: string; topic: string; client: string; withinSeconds: number }
  | { kind: "command"; name: string; command: string };

/** A TCP/UDP port a service listens on (one owner per port per host). */
export interface PlannedPort {
  port: number;
  protocol: "tcp" | "udp";
  service: string;
}

/** Data on the host that `pulumi up` cannot recreate: it lives only there and in its NAS backup. */
export interface PlannedDataSet {
  service: string;
  path: string;
  note: string;
  /** Backed up by restic and restored on an empty host (a module's `dataSets`, src/services/module.ts). */
  backup?: PlannedDataSetBackup;
}

/**
 * A data set restic backs up to the NAS and restores on an empty host (src/services/backup). The
 * shell snippets are POSIX sh run as root; `$path` holds the data set's path when they run.
 */
export interface PlannedDataSetBackup {
  /** `<service>` or `<service>-<what>`: the units' names (lyra-backup-<id>, lyra-restore-<id>) and the snapshots' tag. */
  id: string;
  /** The unit that uses the data: it requires and starts after lyra-restore-<id>.service. Absent: a container (created after its host converged). */
  unit?: string;
  /** The container that uses it, when no unit does (the broker in docker mode): stopped and started around a deliberate restore. */
  container?: string;
  /** Names directly under the path that `pulumi up` writes itself: not backed up, not counted as data, not restored. */
  exclude?: string[];
  /** A condition that holds when the data is there (then a restore does nothing). Default: the path holds an entry not excluded. */
  present?: string;
  /** Run before `restic backup` (qdrant: a fresh snapshot of every collection). */
  beforeBackup?: string;
  /** Run after a restore, before the unit starts (qdrant: which snapshots to recover at its first start). */
  afterRestore?: string;
  /** Further paths the deliberate restore (`lyra-restore <id> <snapshot>`) moves aside with the data (qdrant: its storage). */
  replaces?: string[];
  /** Debian packages the snippets need. */
  packages?: string[];
}

/**
 * What a host does for the whole fleet, as the service that does it says: the docs' "serves the
 * fleet" line, the topology's hub box, and the power-on order (a host the others need comes first).
 */
export interface FleetRole {
  service: string;
  /** Plain text, as the docs show it: "MQTT broker, port 1883 (docker)". */
  summary: string;
  /** Every other host needs it up first: its name in the power-on stage ("broker") and why. */
  powerFirst?: { name: string; why: string };
  /** A line under the topology drawing ("metrics: vega Prometheus scrapes node-exporter on ..."). */
  note?: string;
  /**
   * The fleet's MQTT broker listens here: what the docs call "the broker" (host:port), the user
   * its MQTT checks log in as, and the command on this host that lists every client's retained
   * registration (the recovery page's "by hand"; none without mirrors).
   */
  mqttBroker?: { port: number; user: string; watchRegistrations?: string };
}

/**
 * What a host keeps doing on its own while the broker is away (the mirrors' lyra-client): the
 * docs' emergency mode, one row per host.
 */
export interface OfflineMode {
  service: string;
  /** Where its cached answers are. */
  cachePath: string;
  /** Where it logs what it could not answer. */
  log: string;
  /** How often it tries the broker again. */
  retrySeconds: number;
}

/** A copy this host pulls from another on a schedule (the mirrors' config sync): the topology's sync line. */
export interface ScheduledPull {
  service: string;
  /** As the docs name it: "config sync". */
  what: string;
  /** `host:path/` it pulls from. */
  from: string;
  everyMinutes: number;
}

/** Where this host serves the fleet's docs site: the stack's `docsUrl` output, where `record` writes entries. */
export interface DocsSite {
  service: string;
  url: string;
}

/** The label each planned container carries with the id of the service that runs it. */
export const serviceLabel = "org.lyra-fleet.service";

/** The runbook's recovery commands for one service on this host. */
export interface RecoveryStep {
  service: string;
  /** Run on the host, as root. */
  commands: string[];
  /**
   * Run on the operator's machine, in the checkout (pulumi and the stack's secrets at hand, SSH and
   * the broker's port reachable): what the host's own users may not see, such as another client's topics.
   */
  operatorCommands?: string[];
  /** Its own scenario on the docs' recovery page, for a service whose failure stops the fleet (the broker). */
  scenario?: RecoveryScenario;
  /**
   * What to check on this host before going on after a power cut (the UPS): the recovery page's
   * power stages say "Check <what> first: <command> on <host>".
   */
  powerOn?: { what: string; command: string };
}

/**
 * A recovery scenario a service writes about itself; the docs add its host, its containers, the
 * commands above, `pulumi up` and the checks that prove it is back.
 */
export interface RecoveryScenario {
  /** The section's title: "Broker failure". */
  title: string;
  /** How it runs and what the fleet does while it is down (Markdown, after "On <host> (<address>):"). */
  situation: string;
  /** What may be gone when it does not come back by itself (Markdown: "container or unit gone, config edited"). */
  gone: string;
  /** The verify group (`--only`) and the check kinds that prove it is back, on any host. */
  verify: { only: string; kinds: HealthCheck["kind"][] };
}

/** How the operator's machine reaches the host: SSH with the host key pinned. */
export interface HostConnectionPlan {
  address: string;
  port: number;
  user: string;
  /** The pinned host key, "<type> <base64>". */
  hostKey: string;
  /** The connect deadline (ssh.connectTimeoutSeconds), when the stack sets one. */
  connectTimeoutMs?: number;
}

/**
 * A one-shot MQTT round trip the program runs on the broker's host once the broker (`after`) has
 * converged. The broker's module writes the check (`script`, a POSIX shell script that reads the
 * secret `passwordKey` as one line on stdin); src/fleet only runs it, so it knows nothing of MQTT.
 */
export interface PlannedMqttRoundTrip {
  name: string;
  script: string;
  passwordKey: string;
  after: Prerequisite;
}

export interface HostPlan {
  host: string;
  role: string;
  /** How other hosts reach it: <name>.<site.domain>. */
  fqdn: string;
  connection: HostConnectionPlan;
  /** Debian packages, sorted, unique. */
  packages: string[];
  /** Release artifacts, sorted by key (installed after the packages, before the files). */
  artifacts: PlannedArtifact[];
  directories: PlannedDirectory[];
  files: PlannedFile[];
  units: PlannedUnit[];
  containers: PlannedContainer[];
  ports: PlannedPort[];
  checks: HealthCheck[];
  recovery: RecoveryStep[];
  /** What it does for the whole fleet (the hub: broker, config source, metrics), in service id order. */
  serves: FleetRole[];
  mqttRoundTrips: PlannedMqttRoundTrip[];
  /** What it keeps doing while the broker is away (the docs' emergency mode). */
  offline: OfflineMode[];
  /** What it copies from other hosts on a schedule (the topology's sync lines). */
  pulls: ScheduledPull[];
  /** The docs site, on the host that serves it. */
  docsSite: DocsSite[];
  /** Data only a backup can bring back, in the registry's order (the docs' restore table). */
  dataSets: PlannedDataSet[];
  /** By unit name, the other units of this host it starts after (see ./unit-order.ts). */
  unitOrder: Record<string, string[]>;
  /** Service ids placed on this host, sorted. */
  services: string[];
  /** The NAS's package cache every apt-get on the host goes through (`site.nas.aptProxy`; ./apt.ts). */
  aptProxy?: string;
}

/** What one service renderer contributes to a host; plan assembly merges, sorts and checks them. */
export type PlanFragment = Partial<
  Omit<HostPlan, "host" | "role" | "fqdn" | "connection" | "services" | "unitOrder" | "dataSets">
>;
