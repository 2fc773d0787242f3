/**
 * The bad-input classes of issue 12, a table each: one broken field per stack, and the exact message
 * a user reads, which names the stack file, the field and what was expected. Every case starts
 * from the valid home stack.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FleetConfigError, loadStackFile, parseFleet } from "../../src/model/load";
import { stackFleet } from "../support/stack-fleet";

const source = "stacks/Pulumi.test.yaml";
type Raw = Record<string, any>;

interface Case {
  name: string;
  mutate: (f: Raw) => void;
  /** The one problem reported: [field path, message]. */
  expect: [string, string];
}

const digest = "sha256:21421af7b32bf9ce508e9090c8eb13bb81f410ca778dc205506180a6f862d0eb";
const ed25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIB6F+HxW0y29Bb+4humsTv/2ISsHzgNtMsj/mRrNgJHW";
const orchestrator = (f: Raw) => f.hosts.lyra.services["lyra-orchestrator"];
const mirror = (f: Raw, services: Raw) => (f.hosts["mirror-1"].services = services);
const label = (n: number) => "a".repeat(n);

const commandExpected =
  "expected the command line that starts the orchestrator, e.g. /opt/lyra/orchestrator/venv/bin/uvicorn lyra.orchestrator:app --port ${PORT}";
const topicExpected =
  "expected an MQTT topic filter, e.g. lyra/presence/+ or lyra/health/# ('+' and '#' only as a whole level, '#' last)";
const keyExpected =
  "expected the host's SSH public key, e.g. ssh-ed25519 AAAA... (from ssh-keyscan or /etc/ssh/ssh_host_ed25519_key.pub)";
const addressExpected = "expected an IPv4 address or a DNS name, e.g. 192.168.1.20 or vega.home.arpa";
const connectTimeoutExpected = "expected whole seconds from 1 to 120 for the SSH connect deadline";

export const classes: Record<string, Case[]> = {
  "line breaks and control characters in strings that land in files": [
    {
      name: "command with a line break (a second ExecStartPre=, run as root)",
      mutate: (f) => (orchestrator(f).command = "/usr/bin/true\nExecStartPre=+/bin/sh -c id"),
      expect: [
        "hosts.lyra.services.lyra-orchestrator.command",
        `${commandExpected}; this one holds a line break (expected one line)`,
      ],
    },
    {
      name: "environment value with a carriage return",
      mutate: (f) => (orchestrator(f).environment.LYRA_LOG_LEVEL = "info\r"),
      expect: [
        "hosts.lyra.services.lyra-orchestrator.environment.LYRA_LOG_LEVEL",
        "expected a one-line value; this one holds a line break (expected one line)",
      ],
    },
    {
      name: "environment value with an escape character",
      mutate: (f) => (orchestrator(f).environment.LYRA_LOG_LEVEL = "\u001b[31minfo"),
      expect: [
        "hosts.lyra.services.lyra-orchestrator.environment.LYRA_LOG_LEVEL",
        "expected a one-line value; this one holds a control character (expected printable text)",
      ],
    },
    {
      name: "UPS port with a line break (a second [ups] section)",
      mutate: (f) => (f.hosts.lyra.services.ups.device = "auto\n[evil]"),
      expect: [
        "hosts.lyra.services.ups.device",
        "expected the NUT port as one word of letters, digits and . _ : @ / + -, e.g. auto or /dev/ttyUSB0",
      ],
    },
    {
      name: "topic filter with a line break (another ACL rule)",
      mutate: (f) => (f.mqtt = { users: { grafana: { subscribe: ["lyra/x\ntopic readwrite #"] } } }),
      expect: ["mqtt.users.grafana.subscribe.0", `${topicExpected}; this one holds a line break (expected one line)`],
    },
    {
      name: "topic filter with a NUL",
      mutate: (f) => (f.mqtt = { users: { grafana: { subscribe: ["lyra/\u0000"] } } }),
      expect: [
        "mqtt.users.grafana.subscribe.0",
        `${topicExpected}; this one holds a control character (expected printable text)`,
      ],
    },
    {
      name: "host key comment with a line break",
      mutate: (f) => (f.hosts.vega.ssh.hostKey = `ssh-ed25519 ${ed25519} root@vega\nssh-rsa AAAA`),
      expect: ["hosts.vega.ssh.hostKey", `${keyExpected}; this one holds a line break (expected one line)`],
    },
    {
      name: "NAS path with a line break",
      mutate: (f) => (f.site.nas.path = "/volume1\n/x"),
      expect: [
        "site.nas.path",
        "expected an absolute, normalized path on the NAS (letters, digits, '.', '_', '-', '+', '@' and '/'; no '//', '.' or '..'), e.g. /volume1/lyra-backups",
      ],
    },
    {
      name: "command run as root by systemd's '+' prefix",
      mutate: (f) => (orchestrator(f).command = "+/bin/sh -c id"),
      expect: [
        "hosts.lyra.services.lyra-orchestrator.command",
        "expected the program's absolute path first, e.g. /opt/lyra/orchestrator/venv/bin/uvicorn (systemd's prefixes such as '+', '!' or '-' are refused: '+' and '!' would run it as root)",
      ],
    },
    {
      name: "command with a %-specifier",
      mutate: (f) => (orchestrator(f).command = "/usr/bin/env %h"),
      expect: [
        "hosts.lyra.services.lyra-orchestrator.command",
        "expected no '%' (systemd expands %-specifiers in ExecStart=; write %% for a literal %)",
      ],
    },
    {
      name: "command with an unclosed quote",
      mutate: (f) => (orchestrator(f).command = '/usr/bin/env "A=1'),
      expect: ["hosts.lyra.services.lyra-orchestrator.command", `${commandExpected}; this one has an unclosed "`],
    },
    {
      name: "command whose program is the root directory",
      mutate: (f) => (orchestrator(f).command = "/ --port 8000"),
      expect: [
        "hosts.lyra.services.lyra-orchestrator.command",
        "expected the program's absolute path first: / is the root directory, not a program",
      ],
    },
    {
      name: "command of two commands",
      mutate: (f) => (orchestrator(f).command = "/usr/bin/true ; /bin/sh"),
      expect: [
        "hosts.lyra.services.lyra-orchestrator.command",
        "expected one command (systemd reads a lone ';' as the start of a second one)",
      ],
    },
    {
      name: "orchestrator running as root",
      mutate: (f) => (orchestrator(f).user = "root"),
      expect: ["hosts.lyra.services.lyra-orchestrator.user", "expected an unprivileged system user, not root"],
    },
  ],
  "paths not normalized, or in system directories": [
    {
      name: "'..' out of /opt into /etc",
      mutate: (f) => (orchestrator(f).workingDirectory = "/opt/lyra/../../etc"),
      expect: [
        "hosts.lyra.services.lyra-orchestrator.workingDirectory",
        "expected a normalized path (no '//', '.', '..' or trailing '/'), e.g. /var/lib/lyra",
      ],
    },
    {
      name: "trailing slash",
      mutate: (f) => (f.hosts.lyra.services.qdrant = { storagePath: "/var/lib/qdrant/" }),
      expect: [
        "hosts.lyra.services.qdrant.storagePath",
        "expected a normalized path (no '//', '.', '..' or trailing '/'), e.g. /var/lib/lyra",
      ],
    },
    {
      name: "double slash",
      mutate: (f) => (f.hosts.vega.services = { "config-source": { path: "/opt//lyra" } }),
      expect: [
        "hosts.vega.services.config-source.path",
        "expected a normalized path (no '//', '.', '..' or trailing '/'), e.g. /var/lib/lyra",
      ],
    },
    {
      name: "a space in a path",
      mutate: (f) => (orchestrator(f).workingDirectory = "/opt/lyra app"),
      expect: [
        "hosts.lyra.services.lyra-orchestrator.workingDirectory",
        "expected a path of letters, digits, '.', '_', '-', '+', '@' and '/' only (no spaces, quotes, '%' or control characters), e.g. /var/lib/lyra",
      ],
    },
    {
      name: "config source in /etc (rsync --delete as root)",
      mutate: (f) => (f.hosts.vega.services = { "config-source": { path: "/etc" } }),
      expect: [
        "hosts.vega.services.config-source.path",
        "expected a path outside /etc, a system directory (use e.g. /var/lib/lyra or /opt/lyra)",
      ],
    },
    {
      name: "working directory in /usr",
      mutate: (f) => (orchestrator(f).workingDirectory = "/usr/lib/lyra"),
      expect: [
        "hosts.lyra.services.lyra-orchestrator.workingDirectory",
        "expected a path outside /usr, a system directory (use e.g. /var/lib/lyra or /opt/lyra)",
      ],
    },
    {
      name: "a shared directory itself",
      mutate: (f) => mirror(f, { "lyra-client": { cachePath: "/var/lib" } }),
      expect: [
        "hosts.mirror-1.services.lyra-client.cachePath",
        "expected a directory of its own below /var/lib/, not /var/lib itself",
      ],
    },
    {
      name: "the fallback log in cron's directory",
      mutate: (f) => mirror(f, { "lyra-client": { fallbackLog: "/etc/cron.d/lyra" } }),
      expect: ["hosts.mirror-1.services.lyra-client.fallbackLog", "expected a path under /var/log/ (a log file)"],
    },
    {
      name: "relative path",
      mutate: (f) => (f.hosts.lyra.services.qdrant = { snapshotsPath: "snapshots" }),
      expect: ["hosts.lyra.services.qdrant.snapshotsPath", "expected an absolute path, e.g. /var/lib/lyra"],
    },
  ],
  "MQTT topic filters with a wildcard inside a level": [
    {
      name: "'+' inside a level",
      mutate: (f) => (f.mqtt = { users: { grafana: { subscribe: ["lyra/presence+/x"] } } }),
      expect: ["mqtt.users.grafana.subscribe.0", `${topicExpected}; '+' inside level 2 ('presence+')`],
    },
    {
      name: "'#' inside a level",
      mutate: (f) => (f.mqtt = { users: { grafana: { publish: ["lyra/a#"] } } }),
      expect: ["mqtt.users.grafana.publish.0", `${topicExpected}; '#' in level 2 ('a#')`],
    },
    {
      name: "'#' not last",
      mutate: (f) => (f.mqtt = { users: { grafana: { subscribe: ["lyra/#/x"] } } }),
      expect: ["mqtt.users.grafana.subscribe.0", `${topicExpected}; '#' in level 2 ('#')`],
    },
    {
      name: "empty filter",
      mutate: (f) => (f.mqtt = { users: { grafana: { subscribe: [""] } } }),
      expect: ["mqtt.users.grafana.subscribe.0", `${topicExpected}; this one is empty`],
    },
    {
      name: "spaces around a filter",
      mutate: (f) => (f.mqtt = { users: { grafana: { subscribe: [" lyra/#"] } } }),
      expect: ["mqtt.users.grafana.subscribe.0", `${topicExpected}; this one has spaces around it`],
    },
  ],
  "ports that collide with sshd, upsd or another daemon": [
    {
      name: "a service on the SSH port",
      mutate: (f) => {
        f.hosts.lyra.ssh.port = 2222;
        f.hosts.lyra.services.mkdocs = { port: 2222 };
      },
      expect: [
        "hosts.lyra.services.mkdocs.port",
        "expected a free port; 2222 is already used on this host by sshd (hosts.lyra.ssh.port)",
      ],
    },
    {
      name: "a service on a privileged port",
      mutate: (f) => (f.hosts.lyra.services.mkdocs = { port: 80 }),
      expect: [
        "hosts.lyra.services.mkdocs.port",
        "expected an unprivileged port (1024-65535): the service runs without the right to listen below 1024",
      ],
    },
    {
      name: "the SSH port on a service's port",
      mutate: (f) => (f.hosts.vega.ssh.port = 1883),
      expect: [
        "hosts.vega.services.mqtt-broker.port",
        "expected a free port; 1883 is already used on this host by sshd (hosts.vega.ssh.port)",
      ],
    },
    {
      name: "a service on upsd's port",
      mutate: (f) => (f.hosts.lyra.services.mkdocs = { port: 3493 }),
      expect: [
        "hosts.lyra.services.mkdocs.port",
        "expected a free port; 3493 is already used on this host by upsd (ups) (hosts.lyra.services.ups)",
      ],
    },
    {
      name: "qdrant's gRPC port on another service",
      mutate: (f) => (f.hosts.lyra.services.qdrant = { grpcPort: 1880 }),
      expect: [
        "hosts.lyra.services.qdrant.grpcPort",
        "expected a free port; 1880 is already used on this host by nodered (hosts.lyra.services.nodered.port)",
      ],
    },
  ],
  "services placed where what they need is missing": [
    {
      name: "config sync on the config source (from itself)",
      mutate: (f) => (f.hosts.vega.services = { "config-sync": {} }),
      expect: [
        "hosts.vega.services.config-sync",
        "expected config-sync only on a host that does not hold the config source: this host runs config-source and would sync from itself (set `config-sync: { enabled: false }`)",
      ],
    },
    {
      name: "config sync from a host without the config source",
      mutate: (f) => mirror(f, { "config-sync": { source: "mirror-2" } }),
      expect: ["hosts.mirror-1.services.config-sync.source", "host 'mirror-2' does not run config-source"],
    },
  ],
  "host keys the host layer's parser refuses": [
    {
      name: "key data of another type",
      mutate: (f) => (f.hosts.vega.ssh.hostKey = `ssh-rsa ${ed25519}`),
      expect: ["hosts.vega.ssh.hostKey", `${keyExpected}; the key data says "ssh-ed25519" but the line says "ssh-rsa"`],
    },
    {
      name: "key data that is no key",
      mutate: (f) => (f.hosts.vega.ssh.hostKey = "ssh-ed25519 AAAA"),
      expect: [
        "hosts.vega.ssh.hostKey",
        `${keyExpected}; the key data says "nothing readable" but the line says "ssh-ed25519"`,
      ],
    },
    {
      name: "three padding characters",
      mutate: (f) => (f.hosts.vega.ssh.hostKey = `ssh-ed25519 ${ed25519}===`),
      expect: ["hosts.vega.ssh.hostKey", `${keyExpected}; the key's second field is not base64`],
    },
    {
      name: "a space before the key type",
      mutate: (f) => (f.hosts.vega.ssh.hostKey = ` ssh-ed25519 ${ed25519}`),
      expect: ["hosts.vega.ssh.hostKey", `${keyExpected}; this one has spaces around it`],
    },
    {
      name: "a DSA key",
      mutate: (f) => (f.hosts.vega.ssh.hostKey = `ssh-dss ${ed25519}`),
      expect: [
        "hosts.vega.ssh.hostKey",
        `${keyExpected}; unsupported key type "ssh-dss" (supported: ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ssh-rsa)`,
      ],
    },
  ],
  "DNS names too long, addresses that name no host": [
    {
      name: "a 64-character domain label",
      mutate: (f) => (f.site.domain = `${label(64)}.arpa`),
      expect: [
        "site.domain",
        "expected a DNS domain, e.g. home.arpa (DNS labels (the parts between dots) of at most 63 characters)",
      ],
    },
    {
      name: "a 254-character domain",
      mutate: (f) => (f.site.domain = [label(63), label(63), label(63), label(62)].join(".")),
      expect: ["site.domain", "expected a DNS domain, e.g. home.arpa (a DNS name of at most 253 characters)"],
    },
    {
      name: "host name and domain longer than 253",
      mutate: (f) => {
        f.site.domain = [label(63), label(63), label(63), label(40)].join("."); // 232: every home host fits
        f.hosts[label(21)] = { ...f.hosts["mirror-2"], address: "192.168.1.23" }; // 21 + 1 + 232 = 254
      },
      expect: [
        `hosts.${label(21)}`,
        `expected a host name that makes, with site.domain, a DNS name of at most 253 characters; ${label(21)}.<domain> has 254`,
      ],
    },
    {
      name: "a host name ending in a dash",
      mutate: (f) => (f.hosts["mirror-"] = f.hosts["mirror-2"]),
      expect: [
        "hosts.mirror-",
        "invalid name 'mirror-': expected a lowercase host name (letters, digits and inner dashes, starting with a letter, at most 63)",
      ],
    },
    {
      name: "address 0.0.0.0",
      mutate: (f) => (f.hosts.vega.address = "0.0.0.0"),
      expect: [
        "hosts.vega.address",
        `${addressExpected}; 0.0.0.0 names no host (0.x.x.x, multicast and broadcast addresses cannot be reached)`,
      ],
    },
    {
      name: "a broadcast NTP server",
      mutate: (f) => (f.site.ntpServers = ["255.255.255.255"]),
      expect: [
        "site.ntpServers.0",
        `${addressExpected}; 255.255.255.255 names no host (0.x.x.x, multicast and broadcast addresses cannot be reached)`,
      ],
    },
    {
      name: "an address with a 64-character label",
      mutate: (f) => (f.site.nas.host = `${label(64)}.home.arpa`),
      expect: ["site.nas.host", `${addressExpected} (DNS labels (the parts between dots) of at most 63 characters)`],
    },
  ],
  "cross-field rules": [
    {
      name: "a heartbeat longer than the stale window",
      mutate: (f) => {
        f.hosts.lyra.services.nodered = { staleAfterSeconds: 20 };
        mirror(f, { "mqtt-client": { heartbeatSeconds: 30 } });
      },
      expect: [
        "hosts.mirror-1.services.mqtt-client.heartbeatSeconds",
        "expected a heartbeat shorter than the stale window that judges it (hosts.lyra.services.nodered.staleAfterSeconds: 20 s), got 30 s",
      ],
    },
    {
      name: "qdrant snapshots inside its storage",
      mutate: (f) => (f.hosts.lyra.services.qdrant = { snapshotsPath: "/var/lib/qdrant/storage/snapshots" }),
      expect: [
        "hosts.lyra.services.qdrant.snapshotsPath",
        "expected a directory apart from storagePath (/var/lib/qdrant/storage), neither inside the other",
      ],
    },
  ],
  "wrong types get the field's words, not the parser's": [
    {
      name: "a list where a map is due",
      mutate: (f) => (f.versions = ["1.0"]),
      expect: ["versions", "expected a map of settings"],
    },
    {
      name: "a missing section",
      mutate: (f) => delete f.site,
      expect: ["site", "missing; expected a map of settings"],
    },
    {
      name: "a topic instead of a list",
      mutate: (f) => (f.mqtt = { users: { grafana: { publish: "lyra/x" } } }),
      expect: ["mqtt.users.grafana.publish", "expected a list of MQTT topic filters"],
    },
    {
      name: "minutes as a string",
      mutate: (f) => mirror(f, { "config-sync": { intervalMinutes: "5" } }),
      expect: ["hosts.mirror-1.services.config-sync.intervalMinutes", "expected a number of minutes (1-1440)"],
    },
    {
      name: "minutes over a day",
      mutate: (f) => mirror(f, { "config-sync": { intervalMinutes: 2000 } }),
      expect: ["hosts.mirror-1.services.config-sync.intervalMinutes", "expected at most 1440 minutes (a day)"],
    },
    {
      name: "a UPS name as a number",
      mutate: (f) => (f.hosts.lyra.services.ups.name = 5),
      expect: ["hosts.lyra.services.ups.name", "expected a UPS name, e.g. lyra-ups"],
    },
    {
      name: "a sync source as a number",
      mutate: (f) => mirror(f, { "config-sync": { source: 7 } }),
      expect: ["hosts.mirror-1.services.config-sync.source", "expected the name of a host in this stack"],
    },
    {
      name: "an SSH connect deadline as a string",
      mutate: (f) => (f.hosts["mirror-1"].ssh.connectTimeoutSeconds = "30s"),
      expect: ["hosts.mirror-1.ssh.connectTimeoutSeconds", connectTimeoutExpected],
    },
    {
      name: "an SSH connect deadline of no time",
      mutate: (f) => (f.hosts["mirror-1"].ssh.connectTimeoutSeconds = 0),
      expect: ["hosts.mirror-1.ssh.connectTimeoutSeconds", connectTimeoutExpected],
    },
    {
      name: "an SSH connect deadline in milliseconds",
      mutate: (f) => (f.hosts["mirror-1"].ssh.connectTimeoutSeconds = 30000),
      expect: ["hosts.mirror-1.ssh.connectTimeoutSeconds", connectTimeoutExpected],
    },
    {
      name: "an SSH connect deadline with a fraction",
      mutate: (f) => (f.hosts["mirror-1"].ssh.connectTimeoutSeconds = 2.5),
      expect: ["hosts.mirror-1.ssh.connectTimeoutSeconds", connectTimeoutExpected],
    },
  ],
};

function rejection(raw: Raw): FleetConfigError {
  try {
    parseFleet(raw, source);
  } catch (e) {
    assert.ok(e instanceof FleetConfigError, `expected a FleetConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the stack to be rejected");
}

for (const [kind, cases] of Object.entries(classes)) {
  for (const c of cases) {
    test(`${kind}: ${c.name}`, () => {
      const raw = stackFleet("home");
      c.mutate(raw);
      const [path, message] = c.expect;
      assert.equal(
        rejection(raw).message,
        `${source}: 1 problem in lyra-fleet:fleet; nothing was changed:\n  - ${path}: ${message}`,
      );
    });
  }
}

test("an image from a registry with a port is accepted", () => {
  const raw = stackFleet("home");
  raw.images["mqtt-broker"] = `registry.lan:5000/eclipse-mosquitto@${digest}`;
  assert.equal(parseFleet(raw, source).images["mqtt-broker"], `registry.lan:5000/eclipse-mosquitto@${digest}`);
});

test("an image reference out of the grammar is refused, naming the field", () => {
  for (const image of [
    `registry.lan:port/mosquitto@${digest}`,
    `Eclipse-Mosquitto@${digest}`,
    "eclipse-mosquitto@sha256:1234",
  ]) {
    const raw = stackFleet("home");
    raw.images["mqtt-broker"] = image;
    assert.equal(
      rejection(raw).message,
      `${source}: 1 problem in lyra-fleet:fleet; nothing was changed:\n  - images.mqtt-broker: expected an image pinned by digest, e.g. eclipse-mosquitto:2.0.20@sha256:<64 hex digits> or registry.lan:5000/eclipse-mosquitto@sha256:<64 hex digits>`,
    );
  }
});

test("mqtt-client placed on a host that is not a mirror brings its ACL entries", () => {
  const raw = stackFleet("home");
  raw.hosts.lyra.services["mqtt-client"] = {};
  const user = parseFleet(raw, source).mqttUsers.find((u) => u.name === "lyra")!;
  assert.deepEqual(user.publish, ["lyra/health/lyra", "lyra/presence/lyra", "lyra/clients/online/lyra"]);
});

test("a YAML alias bomb is refused naming the stack file, without expanding it (its expansion limit stops it)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lyra-alias-bomb-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "Pulumi.bomb.yaml");
  const level = (name: string, prev: string) => `${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`;
  writeFileSync(
    file,
    [
      "a: &a [lol, lol]",
      level("b", "a"),
      level("c", "b"),
      level("d", "c"),
      level("e", "d"),
      level("f", "e"),
      "config:",
      "  lyra-fleet:fleet: *f",
      "",
    ].join("\n"),
  );
  assert.throws(
    () => loadStackFile(file),
    (e: unknown) => {
      assert.ok(e instanceof FleetConfigError);
      assert.equal(
        e.message,
        `${file}: 1 problem in lyra-fleet:fleet; nothing was changed:\n  - (top level): invalid YAML: its aliases (*name) expand to more than 100 copies; expected a stack file without nested aliases`,
      );
      return true;
    },
  );
});

test("a stack file's `__proto__:` key is refused, naming the file and the field, not dropped", () => {
  const dir = mkdtempSync(join(tmpdir(), "lyra-proto-key-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "Pulumi.proto.yaml");
  const home = readFileSync(join("stacks", "Pulumi.home.yaml"), "utf8");
  assert.ok(home.includes("\n    hosts:\n"));
  writeFileSync(
    file,
    home.replace("\n    hosts:\n", "\n    hosts:\n      __proto__:\n        role: mirror\n        address: 10.9.9.9\n"),
  );
  assert.throws(
    () => loadStackFile(file),
    (e: unknown) =>
      e instanceof FleetConfigError &&
      e.message ===
        `${file}: 1 problem in lyra-fleet:fleet; nothing was changed:\n  - hosts.__proto__: invalid name '__proto__': expected letters, digits and dashes, e.g. mirror-3`,
  );
});

test("names every object inherits are names like any other: an MQTT user called constructor", () => {
  const raw = stackFleet("home");
  raw.mqtt = { users: { constructor: { publish: ["lyra/ui/#"] } } };
  const user = parseFleet(raw, source).mqttUsers.find((u) => u.name === "constructor");
  assert.deepEqual(user?.publish, ["lyra/ui/#"]);
});

test("a YAML tag the stack file cannot mean, or a YAML 1.1 value that is not plain data, is refused naming the line or field", () => {
  const dir = mkdtempSync(join(tmpdir(), "lyra-yaml-tags-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const home = readFileSync(join("stacks", "Pulumi.home.yaml"), "utf8");
  const refused = (name: string, text: string): string => {
    const file = join(dir, `Pulumi.${name}.yaml`);
    writeFileSync(file, text);
    try {
      loadStackFile(file);
    } catch (e) {
      assert.ok(e instanceof FleetConfigError, String(e));
      return e.message.slice(file.length);
    }
    assert.fail(`${name}: accepted`);
  };
  const line = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;
  // Unknown tags were read as if untagged (`!secret x` as "x"); YAML 1.1's known ones as a Buffer, Date or Set.
  const cases: [string, string, string][] = [
    ["local", "domain: home.arpa", "domain: !secret home.arpa"],
    ["binary", "domain: home.arpa", "domain: !!binary aG9tZS5hcnBh"],
    ["timestamp", "domain: home.arpa", "domain: !!timestamp 2024-01-01"],
    ["set", "timezone: Europe/Berlin", "timezone: !!set {Europe/Berlin}"],
  ];
  for (const [name, from, to] of cases) {
    assert.ok(home.includes(from), name);
    const text = home.replace(from, to);
    const tag = /!\S+/.exec(to)![0];
    assert.equal(
      refused(name, text),
      `: 1 problem in lyra-fleet:fleet; nothing was changed:\n  - (top level): invalid YAML at line ${line(text, to)}: unknown tag ${tag}; expected plain data (maps, lists, strings, numbers and booleans) without tags`,
      name,
    );
  }
  // A %YAML 1.1 file reads an unquoted date as a date: named with its field.
  assert.equal(
    refused("yaml11", `%YAML 1.1\n---\n${home.replace("domain: home.arpa", "domain: 2024-01-01")}`),
    ": 1 problem in lyra-fleet:fleet; nothing was changed:\n  - site.domain: found a date; expected plain data (quote it, or drop the %YAML 1.1 line)",
  );
  // Explicit core tags mean plain data, and are fine.
  assert.equal(
    loadStackFile(
      (() => {
        const file = join(dir, "Pulumi.core.yaml");
        writeFileSync(file, home.replace("domain: home.arpa", "domain: !!str home.arpa"));
        return file;
      })(),
    ).site.domain,
    "home.arpa",
  );
});
