/**
 * fast-check arbitraries for stacks: the home stack with a few fields changed, each to a value a
 * user might write (valid) or to one of the bad-input classes of issue 12 (broken): line breaks
 * and control characters, unnormalized or system paths, wildcards inside a topic level, ports of
 * other listeners, misplaced services, malformed host keys, overlong DNS names, 0.0.0.0, wrong types.
 */
import fc from "fast-check";
import { stackFleet } from "./stack-fleet";

type Raw = Record<string, any>;
/** One change to the home stack: the path of the field and the value written there. */
export interface Edit {
  path: string[];
  value: unknown;
}
type Pair<T = unknown> = { valid: fc.Arbitrary<T>; broken: fc.Arbitrary<unknown> };

const homeHosts = ["lyra", "vega", "mirror-1", "mirror-2"];
const services = [
  "config-source",
  "config-sync",
  "health-publisher",
  "lyra-client",
  "lyra-orchestrator",
  "mkdocs",
  "mqtt-broker",
  "mqtt-client",
  "node-exporter",
  "nodered",
  "prometheus",
  "qdrant",
  "stt-service",
  "timesync",
  "ups",
];
const digest = "sha256:21421af7b32bf9ce508e9090c8eb13bb81f410ca778dc205506180a6f862d0eb";
const hostKeys = Object.values(stackFleet("home").hosts).map((h: any) => h.ssh.hostKey as string);

/** What breaks a line of a file, or a parser reading it. */
const poison = fc.constantFrom(
  "\n",
  "\r",
  "\u0000",
  "\u001b",
  "\u0085",
  "\u2028",
  " ",
  "\t",
  '"',
  "'",
  "%h",
  "\\",
  "#",
  "=",
  ";",
  "+",
  "/../",
  "//",
);
/** A valid value with poison inside, or arbitrary text. */
const poisoned = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.tuple(valid, poison, valid).map(([a, p, b]) => `${a}${p}${b}`),
    fc.tuple(valid, poison).map(([a, p]) => `${a}${p}`),
    fc.string({ unit: "binary", maxLength: 16 }),
  );

const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const label = (max: number) =>
  fc
    .integer({ min: 1, max })
    .chain((n) => fc.stringMatching(new RegExp(`^[a-z][a-z0-9-]{${n - 1}}$`)).filter((l) => !l.endsWith("-")));
const domain = (labelMax: number, count: number) =>
  fc.array(label(labelMax), { minLength: 1, maxLength: count }).map((l) => l.join("."));
const wrongType = fc.constantFrom<unknown>(7, true, null, [], {}, ["x"]);

const pairs = {
  domain: {
    valid: domain(12, 3),
    broken: fc.oneof(
      domain(70, 5),
      fc.constant(`${"a".repeat(63)}.`.repeat(4) + "arpa"),
      poisoned(domain(8, 2)),
      wrongType,
    ),
  },
  address: {
    valid: fc.oneof(
      fc.ipV4().filter((a) => !/^0\.|^2(2[4-9]|[3-5]\d)\./.test(a)),
      domain(12, 3),
    ),
    broken: fc.oneof(
      fc.constantFrom("0.0.0.0", "255.255.255.255", "224.0.0.1", "300.1.1.1", "1.2.3"),
      domain(70, 3),
      poisoned(domain(8, 2)),
      wrongType,
    ),
  },
  port: {
    valid: fc.oneof(
      fc.integer({ min: 1024, max: 65535 }),
      fc.constantFrom(1880, 1883, 2222, 3493, 6333, 8000, 8001, 9100),
    ),
    broken: fc.constantFrom<unknown>(0, -1, 22, 80, 65536, 22.5, "8080", null),
  },
  hostPath: {
    valid: fc
      .tuple(
        fc.constantFrom("/var/lib/", "/var/cache/", "/opt/", "/srv/", "/var/log/"),
        fc.array(word, { minLength: 1, maxLength: 3 }),
      )
      .map(([root, s]) => root + s.join("/")),
    broken: fc.oneof(
      fc
        .tuple(fc.constantFrom("/etc/", "/usr/", "/run/", "/boot/", "/", "", "var/"), fc.array(word, { maxLength: 2 }))
        .map(([root, s]) => root + s.join("/")),
      fc.constantFrom(
        "/var/lib",
        "/opt",
        "/var/lib/x/",
        "/opt/lyra/../../etc",
        "/opt/./x",
        "/opt//x",
        "/opt/a b",
        "/opt/%h",
      ),
      poisoned(fc.constant("/var/lib/lyra")),
      wrongType,
    ),
  },
  seconds: { valid: fc.integer({ min: 1, max: 600 }), broken: fc.constantFrom<unknown>(0, -5, 99999, 1.5, "30") },
  command: {
    valid: fc.constantFrom(
      "/opt/lyra/orchestrator/venv/bin/uvicorn lyra.orchestrator:app --host 0.0.0.0 --port ${PORT}",
      "/usr/bin/python3 /opt/lyra/app.py --port ${PORT}",
      '/usr/bin/env "A=1 2" /opt/lyra/run',
    ),
    broken: fc.oneof(
      poisoned(fc.constant("/usr/bin/python3 /opt/lyra/app.py")),
      fc.constantFrom(
        "+/bin/sh -c id",
        "!/bin/sh",
        "-/bin/true",
        "uvicorn app",
        "/usr/bin/true ; /bin/sh",
        "/bin/echo %n",
        '/bin/echo "x',
        "",
      ),
      wrongType,
    ),
  },
  envValue: {
    valid: fc.string({ unit: "grapheme-ascii", maxLength: 20 }),
    broken: fc.oneof(poisoned(word), wrongType),
  },
  user: {
    valid: fc.constantFrom("lyra", "app", "svc_1"),
    broken: fc.oneof(fc.constantFrom("root", "Root", "1abc", ""), poisoned(word)),
  },
  hostKey: {
    valid: fc
      .tuple(fc.constantFrom(...hostKeys), fc.constantFrom("", " root@host", " lyra fleet"))
      .map(([k, c]) => k + c),
    broken: fc.oneof(
      fc.constantFrom(...hostKeys).map((k) => k.replace("ssh-ed25519", "ssh-rsa")),
      fc.constantFrom(
        "ssh-ed25519 AAAA",
        "ssh-dss AAAAB3",
        "SHA256:abc",
        `${hostKeys[0]}===`,
        "",
        ` ${hostKeys[0]}`,
        `${hostKeys[0]}\t`,
      ),
      fc.constantFrom(...hostKeys).chain((k) => poison.map((p) => `${k} c${p}d`)),
      wrongType,
    ),
  },
  topic: {
    valid: fc
      .array(fc.oneof(word, fc.constant("+")), { minLength: 1, maxLength: 4 })
      .chain((l) => fc.boolean().map((hash) => (hash ? [...l, "#"] : l).join("/"))),
    broken: fc.oneof(
      fc
        .array(fc.constantFrom("lyra", "a+", "#x", "+b", "#", "a#b"), { minLength: 2, maxLength: 4 })
        .map((l) => [...l, "x"].join("/")),
      fc.constantFrom("", " lyra", "lyra/#/x"),
      poisoned(fc.constant("lyra/x")),
      wrongType,
    ),
  },
  image: {
    valid: fc
      .tuple(
        fc.constantFrom("", "registry.lan:5000/", "ghcr.io/", "localhost:5000/lyra/"),
        fc.constantFrom("eclipse-mosquitto", "lyra/mosquitto"),
        fc.constantFrom("", ":2.0.20"),
      )
      .map(([r, n, t]) => `${r}${n}${t}@${digest}`),
    broken: fc.constantFrom(
      "eclipse-mosquitto:2.0.20",
      `Eclipse@${digest}`,
      `reg:port/x@${digest}`,
      "x@sha256:12",
      `x@${digest}\n`,
    ),
  },
  device: {
    valid: fc.constantFrom("auto", "/dev/ttyUSB0", "192.168.1.50", "ups.home.arpa:161", "http://192.168.1.50/"),
    broken: fc.oneof(poisoned(fc.constant("auto")), fc.constantFrom("", "/etc/nut/ups.conf", "-rf", "0.0.0.0")),
  },
  name: { valid: label(20), broken: fc.oneof(fc.constantFrom("Mirror", "a-", "-a", "x".repeat(64)), poisoned(word)) },
} satisfies Record<string, Pair>;

type Kind = keyof typeof pairs;
const host = fc.constantFrom(...homeHosts);
const service = (id: string, setting: string, kind: Kind) => ({
  at: fc.tuple(host).map(([h]) => ["hosts", h, "services", id, setting]),
  kind,
});

/** Where a value of each kind may go. */
const fields: { at: fc.Arbitrary<string[]>; kind: Kind }[] = [
  { at: fc.constant(["site", "domain"]), kind: "domain" },
  { at: fc.constant(["site", "nas", "host"]), kind: "address" },
  { at: fc.nat(1).map((i) => ["site", "ntpServers", String(i)]), kind: "address" },
  { at: host.map((h) => ["hosts", h, "address"]), kind: "address" },
  { at: host.map((h) => ["hosts", h, "ssh", "port"]), kind: "port" },
  { at: host.map((h) => ["hosts", h, "ssh", "hostKey"]), kind: "hostKey" },
  { at: fc.constant(["images", "mqtt-broker"]), kind: "image" },
  service("mkdocs", "port", "port"),
  service("stt-service", "port", "port"),
  service("qdrant", "grpcPort", "port"),
  service("lyra-orchestrator", "port", "port"),
  service("lyra-orchestrator", "command", "command"),
  service("lyra-orchestrator", "workingDirectory", "hostPath"),
  service("lyra-orchestrator", "user", "user"),
  {
    at: fc
      .tuple(host, fc.constantFrom("LYRA_LOG_LEVEL", "EXTRA"))
      .map(([h, v]) => ["hosts", h, "services", "lyra-orchestrator", "environment", v]),
    kind: "envValue",
  },
  service("qdrant", "storagePath", "hostPath"),
  service("qdrant", "snapshotsPath", "hostPath"),
  service("config-source", "path", "hostPath"),
  service("lyra-client", "cachePath", "hostPath"),
  service("lyra-client", "fallbackLog", "hostPath"),
  service("mqtt-client", "heartbeatSeconds", "seconds"),
  service("nodered", "staleAfterSeconds", "seconds"),
  service("ups", "device", "device"),
  service("config-sync", "source", "name"),
  {
    at: fc
      .tuple(fc.constantFrom("grafana", "ha"), fc.constantFrom("publish", "subscribe"), fc.nat(1))
      .map(([u, d, i]) => ["mqtt", "users", u, d, String(i)]),
    kind: "topic",
  },
];

/** A field changed to a valid or broken value of its kind. */
const edit = (broken: boolean): fc.Arbitrary<Edit> =>
  fc.oneof(
    ...fields.map(({ at, kind }) =>
      fc
        .tuple(at, broken ? fc.oneof(pairs[kind].valid, pairs[kind].broken) : pairs[kind].valid)
        .map(([path, value]) => ({ path, value })),
    ),
  );

/** A service placed on a host, or a preset one turned off. */
const placement: fc.Arbitrary<Edit> = fc
  .tuple(host, fc.constantFrom(...services), fc.boolean())
  .map(([h, s, on]) => ({ path: ["hosts", h, "services", s, "enabled"], value: on }));

/** A new host with a generated name (hostile names included when broken). */
const newHost = (broken: boolean): fc.Arbitrary<Edit> =>
  fc.tuple(broken ? fc.oneof(pairs.name.valid, pairs.name.broken) : pairs.name.valid, fc.nat(200)).map(([name, n]) => ({
    path: ["hosts", String(name)],
    value: { address: `192.168.7.${n + 1}`, role: "mirror", ssh: { user: "pi", hostKey: hostKeys[2] } },
  }));

export function applyEdits(edits: readonly Edit[]): Raw {
  const raw = stackFleet("home");
  for (const { path, value } of edits) {
    let node = raw;
    for (const key of path.slice(0, -1)) {
      if (node[key] === null || typeof node[key] !== "object") node[key] = /^\d+$/.test(key) ? [] : {};
      node = node[key];
    }
    node[path.at(-1)!] = structuredClone(value);
  }
  return raw;
}

/** Edits to the home stack: `broken` mixes in the bad-input classes; otherwise only values a user may write. */
export function stackEdits(broken: boolean): fc.Arbitrary<Edit[]> {
  return fc.array(
    fc.oneof(
      { arbitrary: edit(broken), weight: 6 },
      { arbitrary: placement, weight: 2 },
      { arbitrary: newHost(broken), weight: 1 },
    ),
    { minLength: 1, maxLength: 4 },
  );
}
