/**
 * The service catalog: every service of the runbook, its settings (with defaults) and which role
 * runs it by default. Pure data and zod schemas; no I/O.
 *
 * A host's `services:` block may override any setting, turn a preset service off
 * (`enabled: false`) or place a service the role does not run by default (`mkdocs: {}`).
 */
import { z } from "zod";

const port = (fallback: number) =>
  z
    .number({ error: "expected a port number (1-65535)" })
    .int({ error: "expected a whole port number (1-65535)" })
    .min(1, { error: "expected a port number (1-65535)" })
    .max(65535, { error: "expected a port number (1-65535)" })
    .default(fallback);

const absolutePath = (fallback: string) =>
  z
    .string({ error: "expected an absolute path" })
    .regex(/^\/[^\0\s]*$/, { error: "expected an absolute path without spaces, e.g. /var/lib/lyra" })
    .default(fallback);

const version = z
  .string({ error: "expected a version string, e.g. 1.4.2" })
  .regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/, { error: "expected a version string, e.g. 1.4.2" });

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: "expected an environment variable name in UPPER_SNAKE_CASE" });
const envValue = z.string({ error: "expected a string value (quote numbers)" }).refine((v) => !/[\n\0]/.test(v), {
  error: "expected a single-line value",
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

const imageWithDigest = z
  .string({ error: "expected a container image pinned by digest" })
  .regex(/^[a-z0-9][a-z0-9._\/-]*(:[A-Za-z0-9._-]+)?@sha256:[a-f0-9]{64}$/, {
    error: "expected an image pinned by digest, e.g. eclipse-mosquitto:2.0.20@sha256:<64 hex digits>",
  });

const enabled = z.boolean({ error: "expected true or false" }).default(true);

/** Settings of every service, keyed by the service id the runbook uses. */
export const serviceSchemas = {
  "lyra-orchestrator": z.strictObject({
    enabled,
    port: port(8000),
    user: unixUser("lyra"),
    workingDirectory: absolutePath("/opt/lyra/orchestrator"),
    /** The FastAPI app served by uvicorn. */
    command: z
      .string({ error: "expected the command line that starts the orchestrator" })
      .min(1, { error: "expected the command line that starts the orchestrator" })
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
    storagePath: absolutePath("/var/lib/qdrant/storage"),
    snapshotsPath: absolutePath("/var/lib/qdrant/snapshots"),
  }),
  mkdocs: z.strictObject({ enabled, port: port(8001) }),
  nodered: z.strictObject({ enabled, port: port(1880), staleAfterSeconds: seconds(60, 5, 3600) }),
  ups: z.strictObject({
    enabled,
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, { error: "expected a UPS name, e.g. lyra-ups" }).default("lyra-ups"),
    driver: z.string().regex(/^[a-z0-9_-]+$/, { error: "expected a NUT driver name, e.g. usbhid-ups" }).default("usbhid-ups"),
    device: z.string().min(1, { error: "expected the NUT port, e.g. auto" }).default("auto"),
  }),
  "mqtt-broker": z.strictObject({
    enabled,
    port: port(1883),
    /** docker: the runbook's `mqtt-broker` container; native: mosquitto under systemd, same config. */
    mode: z.enum(["docker", "native"], { error: "expected docker or native" }).default("docker"),
  }),
  "config-source": z.strictObject({ enabled, path: absolutePath("/opt/lyra/config") }),
  prometheus: z.strictObject({ enabled, port: port(9090), scrapeIntervalSeconds: seconds(30, 5, 600) }),
  "node-exporter": z.strictObject({ enabled, port: port(9100) }),
  "mqtt-client": z.strictObject({ enabled, heartbeatSeconds: seconds(15, 1, 60) }),
  "stt-service": z.strictObject({ enabled, port: port(8200) }),
  "lyra-client": z.strictObject({
    enabled,
    port: port(8300),
    /** The runbook's reconnect interval. */
    reconnectSeconds: seconds(30, 1, 600),
    cachePath: absolutePath("/var/lib/lyra/cache"),
    fallbackLog: absolutePath("/var/log/lyra-fallback.log"),
  }),
  "config-sync": z.strictObject({
    enabled,
    /** Host that holds the config source; defaults to the host running config-source. */
    source: z.string().optional(),
    intervalMinutes: z.number().int().min(1, { error: "expected at least 1 minute" }).max(1440).default(5),
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

/** Ports each service listens on, from its resolved settings (for the one-owner-per-port check). */
export function servicePorts(settings: ServiceSettings[ServiceId]): number[] {
  const s = settings as Record<string, unknown>;
  const ports: number[] = [];
  for (const key of ["port", "grpcPort"]) {
    if (typeof s[key] === "number") ports.push(s[key] as number);
  }
  return ports;
}

export { imageWithDigest, version };
