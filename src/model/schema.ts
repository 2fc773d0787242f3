/**
 * The stack's `lyra-fleet:fleet` object, as zod schemas. Field-level rules live here, in the
 * rule modules they call and in each service module's options; rules that span fields (unique
 * addresses, one broker, ports) live in ./resolve.ts and ./crosscheck.ts, and a service's own
 * cross-field rules in its module (checkHost, checkFleet).
 */
import { z } from "zod";
import { aptProxyProblem, aptProxyExpected } from "./apt-proxy";
import { archExpected, architectures, artifactEntry, artifactShare, containerRegistry } from "./artifacts";
import { withRule } from "./issues";
import { topicFilterProblem } from "./mqtt-topic";
import { addressExpected, addressProblem, dnsNameProblem, hostKeyExpected, hostKeyProblem } from "./network";
import { normalizedPathProblem } from "./paths";
import { imageWithDigest, pinnedKeys, roles, serviceSchemas, version } from "./services";
import { backupSchema } from "../services/backup/settings";

/** A host name is also the first DNS label of its FQDN: at most 63 characters, no trailing dash. */
const hostName = z.string({ error: "expected a host name" }).regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, {
  error: "expected a lowercase host name (letters, digits and inner dashes, starting with a letter, at most 63)",
});

const address = withRule(z.string({ error: addressExpected }), addressProblem);

const hostKey = withRule(z.string({ error: hostKeyExpected }), hostKeyProblem);

const connectTimeoutExpected = "expected whole seconds from 1 to 120 for the SSH connect deadline";

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
  /**
   * How long the TCP connect and sshd's greeting may take; the key exchange and login get three
   * times as long. Unset: 10 s. For a host slow to answer (a Pi on a busy SD card), not a down one.
   */
  connectTimeoutSeconds: z
    .number({ error: connectTimeoutExpected })
    .int({ error: connectTimeoutExpected })
    .min(1, { error: connectTimeoutExpected })
    .max(120, { error: connectTimeoutExpected })
    .optional(),
});

/**
 * Per-host service block: every key must be a registered service, each with that service's
 * settings. Built from the registry when a stack is parsed, so a registered extension is known.
 */
function serviceOverrides() {
  const schemas = serviceSchemas();
  return z.strictObject(
    Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, schema.partial().optional()])) as Record<
      string,
      z.ZodOptional<z.ZodObject>
    >,
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown service; expected one of: ${Object.keys(schemas).sort().join(", ")}`
          : undefined,
    },
  );
}

function hostSchema() {
  return z.strictObject({
    /** How the operator's machine reaches the host over SSH. */
    address,
    role: z.enum(roles, { error: `expected a role preset: ${roles.join(", ")}` }),
    /** Which build of each release artifact the host installs (a Raspberry Pi is aarch64). */
    arch: z.enum(architectures, { error: archExpected }).default("x86_64"),
    ssh: sshSettings,
    services: serviceOverrides().default({}),
  });
}

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

const nasPathExpected =
  "expected an absolute, normalized path on the NAS (letters, digits, '.', '_', '-', '+', '@' and '/'; no '//', '.' or '..'), e.g. /volume1/lyra-backups";

export const siteSchema = z.strictObject({
  /** DNS domain of the home network; services reach each other as <host>.<domain>. */
  domain: withRule(z.string({ error: "expected a DNS domain, e.g. home.arpa" }), (domain) => {
    const problem = dnsNameProblem(domain);
    return problem ? `expected a DNS domain, e.g. home.arpa (${problem.replace(/^expected /, "")})` : undefined;
  }),
  timezone,
  ntpServers: z
    .array(address, { error: "expected a list of NTP servers" })
    .min(1, { error: "expected at least one NTP server" }),
  /** The NAS that holds backups and snapshots (restores are documented per host). */
  nas: z.strictObject({
    host: address,
    // On the NAS, not on a host: absolute and normalized, but any directory there is the NAS's business.
    path: withRule(z.string({ error: nasPathExpected }), (path) =>
      normalizedPathProblem(path) ? nasPathExpected : undefined,
    ),
    /** The NAS account the hosts log in as over SFTP to reach the backup repository (needed with `backup:`). */
    user: z
      .string({ error: "expected a NAS account name" })
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "expected a NAS account name (lowercase letters, digits, - and _)" })
      .optional(),
    /** The NAS's pinned SSH host key: the hosts refuse a NAS presenting another (needed with `backup:`). */
    hostKey: hostKey.optional(),
    /** The artifact share the hosts install apps from (see ./artifacts.ts). */
    artifacts: artifactShare,
    /** A container registry on the NAS the broker's image may come from. */
    registry: containerRegistry.optional(),
    /** The NAS's Debian package cache (apt-cacher-ng): every host installs its packages through it. */
    aptProxy: withRule(z.string({ error: aptProxyExpected }), aptProxyProblem).optional(),
  }),
});

const mqttTopic = withRule(z.string({ error: "expected an MQTT topic filter" }), topicFilterProblem);

export const mqttUserSchema = z.strictObject({
  /** Topics this user may publish to. */
  publish: z.array(mqttTopic, { error: "expected a list of MQTT topic filters" }).default([]),
  /** Topics this user may subscribe to. */
  subscribe: z.array(mqttTopic, { error: "expected a list of MQTT topic filters" }).default([]),
});

function buildFleetSchema() {
  const pins = pinnedKeys();
  return z.strictObject({
    site: siteSchema,
    hosts: z
      .record(hostName, hostSchema(), { error: "expected a map of host name to host settings" })
      .refine((hosts) => Object.keys(hosts).length > 0, { error: "expected at least one host" }),
    /** The release's versions, one per key a registered module pins (its `versions`). */
    versions: z.strictObject(Object.fromEntries(pins.versions.map((key) => [key, version]))),
    /** The release's container images, pinned by digest, one per key a registered module pins (its `images`). */
    images: z.strictObject(Object.fromEntries(pins.images.map((key) => [key, imageWithDigest]))),
    /** The release artifacts, one per versions key a registered module installs as one (its `artifacts`). */
    artifacts: z.strictObject(Object.fromEntries(pins.artifacts.map((key) => [key, artifactEntry(key)])), {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown artifact; expected one of: ${[...pins.artifacts].sort().join(", ")}`
          : issue.code === "invalid_type"
            ? `expected a map of artifact pins, one per key: ${[...pins.artifacts].sort().join(", ")}`
            : undefined,
    }),
    /** Backups of every data set to the NAS (restic over SFTP), and restores on an empty host. */
    backup: backupSchema.optional(),
    mqtt: z
      .strictObject({
        /** Extra MQTT users beyond the implicit ones (one per host, orchestrator, nodered, monitor). */
        users: z.record(hostName, mqttUserSchema).default({}),
      })
      .default({ users: {} }),
  });
}

let cached: { ids: string; schema: ReturnType<typeof buildFleetSchema> } | undefined;

/** The stack's fleet object as a zod schema, for the services registered now. */
export function fleetSchema(): ReturnType<typeof buildFleetSchema> {
  const pins = pinnedKeys();
  const ids = [Object.keys(serviceSchemas()), pins.versions, pins.images, pins.artifacts]
    .map((keys) => keys.join(","))
    .join(";");
  if (cached?.ids !== ids) cached = { ids, schema: buildFleetSchema() };
  return cached.schema;
}

export type FleetInput = z.input<ReturnType<typeof buildFleetSchema>>;
export type FleetParsed = z.output<ReturnType<typeof buildFleetSchema>>;
