/**
 * The service catalog: every service of the runbook, its settings (with defaults) and which role
 * runs it by default. Pure data and zod schemas; no I/O.
 *
 * A host's `services:` block may override any setting, turn a preset service off
 * (`enabled: false`) or place a service the role does not run by default (`mkdocs: {}`).
 */
import { z } from "zod";
import { commandLineProblem } from "./command-line";
import { withRule } from "./issues";
import { imageProblem } from "./network";
import { hostPathProblem, isUnder } from "./paths";
import { lineProblem } from "./text";

/**
 * A service's port. Every service runs as an unprivileged user without CAP_NET_BIND_SERVICE
 * (see each unit's sandbox), so a port below 1024 would leave it unable to listen.
 */
const port = (fallback: number) =>
  z
    .number({ error: "expected a port number (1024-65535)" })
    .int({ error: "expected a whole port number (1024-65535)" })
    .min(1024, { error: "expected an unprivileged port (1024-65535): the service runs without the right to listen below 1024" })
    .max(65535, { error: "expected a port number (1024-65535)" })
    .default(fallback);

/** A path on the host; `under`: the directories the option is about, when it is about some. */
const hostPath = (fallback: string, under?: { directories: string[]; why: string }, extra?: (path: string) => string | undefined) =>
  withRule(z.string({ error: "expected an absolute path, e.g. /var/lib/lyra" }), (path) => hostPathProblem(path, under) ?? extra?.(path)).default(fallback);

const version = z
  .string({ error: "expected a version string, e.g. 1.4.2" })
  .regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/, { error: "expected a version string, e.g. 1.4.2" });

/** Variables lyra-fleet sets in the orchestrator's unit itself; the stack's `environment` may not override them. */
export const orchestratorOwnedVariables = ["PORT", "LYRA_ORCHESTRATOR_VERSION", "LYRA_MQTT_HOST", "LYRA_MQTT_PORT", "LYRA_MQTT_USERNAME", "LYRA_MQTT_PASSWORD_FILE"];

const envName = withRule(
  z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: "expected an environment variable name in UPPER_SNAKE_CASE" }),
  (name) => (orchestratorOwnedVariables.includes(name) ? `expected a variable lyra-fleet does not set itself (${name} is set from the fleet${name === "PORT" ? "; set `port` instead" : ""})` : undefined),
);
const envValue = withRule(z.string({ error: "expected a string value (quote numbers)" }), (v) => {
  const broken = lineProblem(v);
  return broken ? `expected a one-line value; this one ${broken}` : undefined;
});
const unixUser = (fallback: string) =>
  z
    .string({ error: "expected a system user name" })
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "expected a system user name (lowercase letters, digits, - and _)" })
    .default(fallback);

const seconds = (fallback: number, min: number, max: number) =>
  z
    .number({ error: `expected a number of seconds (${min}-${max})` })
    .int({ error: `expected a whole number of seconds (${min}-${max})` })
    .min(min, { error: `expected at least ${min} seconds` })
    .max(max, { error: `expected at most ${max} seconds` })
    .default(fallback);

const imageWithDigest = withRule(z.string({ error: "expected a container image pinned by digest" }), imageProblem);

/** qdrant keeps its data in its unit's StateDirectory=, which systemd creates under /var/lib for the dynamic user. */
const qdrantState = { directories: ["/var/lib"], why: "qdrant's StateDirectory=" };
/** lyra-client's own log directory (its LogsDirectory=); the fallback log links into it. */
export const clientLogsDirectory = "/var/log/lyra-client";

const enabled = z.boolean({ error: "expected true or false" }).default(true);

/** Settings of every service, keyed by the service id the runbook uses. */
export const serviceSchemas = {
  "lyra-orchestrator": z.strictObject({
    enabled,
    port: port(8000),
    /** The app's own account: never root, the unit's sandbox assumes an unprivileged user. */
    user: withRule(unixUser("lyra"), (user) => (user === "root" ? "expected an unprivileged system user, not root" : undefined)),
    workingDirectory: hostPath("/opt/lyra/orchestrator"),
    /** The FastAPI app served by uvicorn. */
    command: withRule(z.string({ error: "expected the command line that starts the orchestrator" }), commandLineProblem)
      // systemd expands ${PORT} from the unit's Environment= (set from `port`).
      .default("/opt/lyra/orchestrator/venv/bin/uvicorn lyra.orchestrator:app --host 0.0.0.0 --port ${PORT}"),
    environment: z.record(envName, envValue).default({}),
    /** The orchestrator needs the NVIDIA GPU (relaxes device isolation in its unit). */
    gpu: z.boolean({ error: "expected true or false" }).default(true),
  }),
  qdrant: z.strictObject({
    enabled,
    port: port(6333),
    grpcPort: port(6334),
    storagePath: hostPath("/var/lib/qdrant/storage", qdrantState),
    snapshotsPath: hostPath("/var/lib/qdrant/snapshots", qdrantState),
  }),
  mkdocs: z.strictObject({ enabled, port: port(8001) }),
  nodered: z.strictObject({ enabled, port: port(1880), staleAfterSeconds: seconds(60, 5, 3600) }),
  ups: z.strictObject({
    enabled,
    name: z
      .string({ error: "expected a UPS name, e.g. lyra-ups" })
      .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: "expected a UPS name, e.g. lyra-ups" })
      .default("lyra-ups"),
    driver: z
      .string({ error: "expected a NUT driver name, e.g. usbhid-ups" })
      .regex(/^[a-z0-9_-]{1,64}$/, { error: "expected a NUT driver name, e.g. usbhid-ups" })
      .default("usbhid-ups"),
    /** ups.conf's `port =`: one word, since NUT reads a space, quote, '#' or '=' as syntax. */
    device: z
      .string({ error: "expected the NUT port, e.g. auto or /dev/ttyUSB0" })
      .regex(/^[A-Za-z0-9_.:@/+-]{1,255}$/, { error: "expected the NUT port as one word of letters, digits and . _ : @ / + -, e.g. auto or /dev/ttyUSB0" })
      .default("auto"),
  }),
  "mqtt-broker": z.strictObject({
    enabled,
    port: port(1883),
    /** docker: the runbook's `mqtt-broker` container; native: mosquitto under systemd, same config. */
    mode: z.enum(["docker", "native"], { error: "expected docker or native" }).default("docker"),
  }),
  "config-source": z.strictObject({ enabled, path: hostPath("/opt/lyra/config") }),
  prometheus: z.strictObject({ enabled, port: port(9090), scrapeIntervalSeconds: seconds(30, 5, 600) }),
  "node-exporter": z.strictObject({ enabled, port: port(9100) }),
  "mqtt-client": z.strictObject({ enabled, heartbeatSeconds: seconds(15, 1, 60) }),
  "stt-service": z.strictObject({ enabled, port: port(8200) }),
  "lyra-client": z.strictObject({
    enabled,
    port: port(8300),
    /** The runbook's reconnect interval. */
    reconnectSeconds: seconds(30, 1, 600),
    cachePath: hostPath("/var/lib/lyra/cache", { directories: ["/var/lib", "/var/cache"], why: "systemd creates it for the client's user" }),
    fallbackLog: hostPath("/var/log/lyra-fallback.log", { directories: ["/var/log"], why: "a log file" }, (path) =>
      isUnder(path, clientLogsDirectory) ? `expected a path outside ${clientLogsDirectory}, the client's own log directory, e.g. /var/log/lyra-fallback.log` : undefined,
    ),
  }),
  "config-sync": z.strictObject({
    enabled,
    /** Host that holds the config source; defaults to the host running config-source. */
    source: z
      .string({ error: "expected the name of a host in this stack" })
      .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: "expected the name of a host in this stack" })
      .optional(),
    intervalMinutes: z
      .number({ error: "expected a number of minutes (1-1440)" })
      .int({ error: "expected a whole number of minutes (1-1440)" })
      .min(1, { error: "expected at least 1 minute" })
      .max(1440, { error: "expected at most 1440 minutes (a day)" })
      .default(5),
  }),
  "health-publisher": z.strictObject({ enabled, intervalSeconds: seconds(30, 5, 3600) }),
  timesync: z.strictObject({
    enabled,
    /** Answer NTP for the LAN, and keep serving the local clock when upstream is unreachable. */
    serve: z.boolean({ error: "expected true or false" }).default(false),
    /** The host is a container (the lab): chronyd measures but must not set the clock it does not own. */
    containerized: z.boolean({ error: "expected true or false" }).default(false),
  }),
} as const;

export type ServiceId = keyof typeof serviceSchemas;
export const serviceIds = Object.keys(serviceSchemas).sort() as ServiceId[];
export type ServiceSettings = { [K in ServiceId]: z.output<(typeof serviceSchemas)[K]> };

export const roles = ["lyra", "vega", "mirror"] as const;
export type Role = (typeof roles)[number];

const everyHost: ServiceId[] = ["health-publisher", "timesync", "node-exporter"];

/** Role presets: the runbook's default placement. */
export const rolePresets: Record<Role, ServiceId[]> = {
  lyra: ["lyra-orchestrator", "qdrant", "mkdocs", "nodered", ...everyHost],
  vega: ["mqtt-broker", "config-source", "prometheus", ...everyHost],
  mirror: ["mqtt-client", "stt-service", "lyra-client", "config-sync", ...everyHost],
};

/** Ports each service listens on, by setting name (for the one-listener-per-port check). */
export function servicePorts(settings: ServiceSettings[ServiceId]): Record<string, number> {
  const s = settings as Record<string, unknown>;
  const ports: Record<string, number> = {};
  for (const key of ["port", "grpcPort"]) {
    if (typeof s[key] === "number") ports[key] = s[key] as number;
  }
  return ports;
}

export { imageWithDigest, version };
