/**
 * The stack's `lyra-fleet:fleet` object, as zod schemas. Field-level rules live here; rules that
 * span fields (unique addresses, one broker, ports, references) live in ./crosscheck.ts.
 */
import { z } from "zod";
import { imageWithDigest, roles, serviceSchemas, version, type ServiceId } from "./services";

const hostName = z
  .string({ error: "expected a host name" })
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: "expected a lowercase host name (letters, digits and dashes, starting with a letter)" });

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const dnsName = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const addressMessage = "expected an IPv4 address or a DNS name, e.g. 192.168.1.20 or vega.home.arpa";
const address = z
  .string({ error: addressMessage })
  .refine((v) => ipv4.test(v) || (dnsName.test(v) && !/^[\d.]+$/.test(v)), { error: addressMessage });

const hostKey = z
  .string({ error: "expected the host's SSH public key, e.g. ssh-ed25519 AAAA..." })
  .regex(/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,3}( .*)?$/, {
    error: "expected the host's SSH public key, e.g. ssh-ed25519 AAAA... (from ssh-keyscan or /etc/ssh/ssh_host_ed25519_key.pub)",
  });

const sshSettings = z.strictObject({
  user: z
    .string({ error: "expected an SSH user name" })
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "expected an SSH user name (lowercase letters, digits, - and _)" })
    .default("root"),
  port: z
    .number({ error: "expected an SSH port number (1-65535)" })
    .int({ error: "expected an SSH port number (1-65535)" })
    .min(1, { error: "expected an SSH port number (1-65535)" })
    .max(65535, { error: "expected an SSH port number (1-65535)" })
    .default(22),
  /** Pinned host key: a host presenting another key is refused. */
  hostKey,
});

/** Per-host service block: every key must be a known service, each with that service's settings. */
const serviceOverrides = z.strictObject(
  Object.fromEntries(Object.entries(serviceSchemas).map(([id, schema]) => [id, schema.partial().optional()])) as unknown as {
    [K in ServiceId]: z.ZodOptional<z.ZodObject>;
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? `unknown service; expected one of: ${Object.keys(serviceSchemas).sort().join(", ")}` : undefined) },
);

export const hostSchema = z.strictObject({
  /** How the operator's machine reaches the host over SSH. */
  address,
  role: z.enum(roles, { error: `expected a role preset: ${roles.join(", ")}` }),
  ssh: sshSettings,
  services: serviceOverrides.default({}),
});

const timezone = z.string({ error: "expected an IANA time zone, e.g. Europe/Berlin" }).refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz);
    } catch {
      return false;
    }
  },
  { error: "expected an IANA time zone, e.g. Europe/Berlin" },
);

export const siteSchema = z.strictObject({
  /** DNS domain of the home network; services reach each other as <host>.<domain>. */
  domain: z
    .string({ error: "expected a DNS domain, e.g. home.arpa" })
    .regex(dnsName, { error: "expected a DNS domain, e.g. home.arpa" }),
  timezone,
  ntpServers: z
    .array(address, { error: "expected a list of NTP servers" })
    .min(1, { error: "expected at least one NTP server" }),
  /** The NAS that holds backups and snapshots (restores are documented per host). */
  nas: z.strictObject({
    host: address,
    path: z.string({ error: "expected an absolute path on the NAS" }).regex(/^\/\S*$/, { error: "expected an absolute path on the NAS" }),
  }),
});

const mqttTopic = z
  .string({ error: "expected an MQTT topic filter" })
  .regex(/^[^\0#+]*(\+[^\0#+]*)*(#)?$/, { error: "expected an MQTT topic filter (# only at the end)" })
  .refine((t) => t.length > 0 && !/#./.test(t), { error: "expected an MQTT topic filter (# only at the end)" });

export const mqttUserSchema = z.strictObject({
  /** Topics this user may publish to. */
  publish: z.array(mqttTopic).default([]),
  /** Topics this user may subscribe to. */
  subscribe: z.array(mqttTopic).default([]),
});

export const fleetSchema = z.strictObject({
  site: siteSchema,
  hosts: z
    .record(hostName, hostSchema, { error: "expected a map of host name to host settings" })
    .refine((hosts) => Object.keys(hosts).length > 0, { error: "expected at least one host" }),
  versions: z.strictObject({
    "lyra-orchestrator": version,
    qdrant: version,
    "node-red": version,
    "stt-service": version,
    "lyra-client": version,
  }),
  images: z.strictObject({
    /** The broker's container image, pinned by digest. */
    "mqtt-broker": imageWithDigest,
  }),
  mqtt: z
    .strictObject({
      /** Extra MQTT users beyond the implicit ones (one per host, orchestrator, nodered, monitor). */
      users: z.record(hostName, mqttUserSchema).default({}),
    })
    .default({ users: {} }),
});

export type FleetInput = z.input<typeof fleetSchema>;
export type FleetParsed = z.output<typeof fleetSchema>;
