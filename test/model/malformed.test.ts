/**
 * Malformed stacks: each is rejected with a FleetConfigError naming the stack file, the path and
 * what was expected. Every case starts from the valid home stack and breaks one thing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FleetConfigError, parseFleet } from "../../src/model/load";
import { stackFleet } from "../support/stack-fleet";

const source = "stacks/Pulumi.test.yaml";
type Raw = Record<string, any>;
const home = (): Raw => stackFleet("home");

/** An own key, as a parser makes it (an assignment to `__proto__` would set the prototype instead). */
function ownKey(target: Raw, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

interface Case {
  name: string;
  mutate: (f: Raw) => void;
  /** Expected [path, message fragment] pairs, all of which must be reported. */
  expect: [string, string][];
}

const cases: Case[] = [
  {
    name: "bad IPv4 address",
    mutate: (f) => (f.hosts["mirror-2"].address = "300.1.1.1"),
    expect: [["hosts.mirror-2.address", "expected an IPv4 address or a DNS name"]],
  },
  {
    name: "address with a space",
    mutate: (f) => (f.hosts.vega.address = "vega home"),
    expect: [["hosts.vega.address", "expected an IPv4 address or a DNS name"]],
  },
  {
    name: "missing address",
    mutate: (f) => delete f.hosts.lyra.address,
    expect: [["hosts.lyra.address", "missing; expected an IPv4 address"]],
  },
  {
    name: "unknown role",
    mutate: (f) => (f.hosts.lyra.role = "gpu"),
    expect: [["hosts.lyra.role", "expected a role preset: lyra, vega, mirror"]],
  },
  {
    name: "upper-case host name",
    mutate: (f) => (f.hosts.Mirror3 = f.hosts["mirror-2"]),
    expect: [["hosts.Mirror3", "invalid name 'Mirror3': expected a lowercase host name"]],
  },
  {
    name: "SSH port out of range",
    mutate: (f) => (f.hosts.vega.ssh.port = 70000),
    expect: [["hosts.vega.ssh.port", "expected an SSH port number (1-65535)"]],
  },
  {
    name: "SSH port as a string",
    mutate: (f) => (f.hosts.vega.ssh.port = "22"),
    expect: [["hosts.vega.ssh.port", "expected an SSH port number"]],
  },
  {
    name: "host key missing",
    mutate: (f) => delete f.hosts["mirror-1"].ssh.hostKey,
    expect: [["hosts.mirror-1.ssh.hostKey", "missing; expected the host's SSH public key"]],
  },
  {
    name: "host key is a fingerprint",
    mutate: (f) => (f.hosts["mirror-1"].ssh.hostKey = "SHA256:abc"),
    expect: [["hosts.mirror-1.ssh.hostKey", "expected the host's SSH public key"]],
  },
  {
    name: "bad SSH user",
    mutate: (f) => (f.hosts.lyra.ssh.user = "Root User"),
    expect: [["hosts.lyra.ssh.user", "expected an SSH user name"]],
  },
  {
    name: "unknown host field",
    mutate: (f) => (f.hosts.lyra.adress = "1.2.3.4"),
    expect: [["hosts.lyra.adress", "unknown field"]],
  },
  {
    name: "unknown service",
    mutate: (f) => (f.hosts.lyra.services.grafana = {}),
    expect: [["hosts.lyra.services.grafana", "unknown service; expected one of:"]],
  },
  {
    name: "service port out of range",
    mutate: (f) => (f.hosts.lyra.services["lyra-orchestrator"].port = 0),
    expect: [["hosts.lyra.services.lyra-orchestrator.port", "expected an unprivileged port (1024-65535)"]],
  },
  {
    name: "unknown service setting",
    mutate: (f) => (f.hosts.lyra.services.qdrant = { storage: "/x" }),
    expect: [["hosts.lyra.services.qdrant.storage", "unknown field"]],
  },
  {
    name: "relative path",
    mutate: (f) => (f.hosts.lyra.services.qdrant = { storagePath: "data/qdrant" }),
    expect: [["hosts.lyra.services.qdrant.storagePath", "expected an absolute path"]],
  },
  {
    name: "lower-case env name",
    mutate: (f) => (f.hosts.lyra.services["lyra-orchestrator"].environment.log_level = "x"),
    expect: [["hosts.lyra.services.lyra-orchestrator.environment.log_level", "UPPER_SNAKE_CASE"]],
  },
  {
    name: "numeric env value",
    mutate: (f) => (f.hosts.lyra.services["lyra-orchestrator"].environment.WORKERS = 4),
    expect: [["hosts.lyra.services.lyra-orchestrator.environment.WORKERS", "expected a string value (quote numbers)"]],
  },
  {
    name: "broker mode",
    mutate: (f) => (f.hosts.vega.services = { "mqtt-broker": { mode: "podman" } }),
    expect: [["hosts.vega.services.mqtt-broker.mode", "expected docker or native"]],
  },
  {
    name: "two brokers",
    mutate: (f) => (f.hosts.lyra.services["mqtt-broker"] = {}),
    expect: [["hosts", "expected exactly one host running mqtt-broker, found 2: lyra, vega"]],
  },
  {
    name: "no broker",
    mutate: (f) => (f.hosts.vega.services = { "mqtt-broker": { enabled: false } }),
    expect: [["hosts", "expected exactly one host running mqtt-broker, found none"]],
  },
  {
    name: "no config source",
    mutate: (f) => (f.hosts.vega.services = { "config-source": { enabled: false } }),
    expect: [["hosts", "expected exactly one host running config-source, found none"]],
  },
  {
    name: "duplicate address",
    mutate: (f) => (f.hosts["mirror-2"].address = f.hosts["mirror-1"].address),
    expect: [["hosts.mirror-2.address", "is already used by host 'mirror-1'"]],
  },
  {
    name: "port used twice on a host",
    mutate: (f) => (f.hosts.lyra.services.mkdocs = { port: 8000 }),
    expect: [
      [
        "hosts.lyra.services.mkdocs.port",
        "8000 is already used on this host by lyra-orchestrator (hosts.lyra.services.lyra-orchestrator.port)",
      ],
    ],
  },
  {
    name: "sync source is not a host",
    mutate: (f) => (f.hosts["mirror-1"].services = { "config-sync": { source: "nas" } }),
    expect: [["hosts.mirror-1.services.config-sync.source", "expected the name of a host in this stack, got 'nas'"]],
  },
  {
    name: "sync source runs no config source",
    mutate: (f) => (f.hosts["mirror-1"].services = { "config-sync": { source: "lyra" } }),
    expect: [["hosts.mirror-1.services.config-sync.source", "host 'lyra' does not run config-source"]],
  },
  {
    name: "image without digest",
    mutate: (f) => (f.images["mqtt-broker"] = "eclipse-mosquitto:2.0.20"),
    expect: [["images.mqtt-broker", "expected an image pinned by digest"]],
  },
  {
    name: "version missing",
    mutate: (f) => delete f.versions.qdrant,
    expect: [["versions.qdrant", "missing; expected a version string"]],
  },
  {
    name: "bad version",
    mutate: (f) => (f.versions["node-red"] = "latest please"),
    expect: [["versions.node-red", "expected a version string"]],
  },
  // YAML and JSON make `__proto__` a key like any other; zod's records dropped it silently, so the
  // host or user vanished from an accepted fleet.
  {
    name: "a host called __proto__",
    mutate: (f) => ownKey(f.hosts, "__proto__", { role: "mirror", address: "10.9.9.9" }),
    expect: [["hosts.__proto__", "invalid name '__proto__'"]],
  },
  {
    name: "an MQTT user called __proto__, beside another problem",
    mutate: (f) => {
      f.mqtt = { users: {} };
      ownKey(f.mqtt.users, "__proto__", { publish: ["lyra/ui/#"] });
      f.hosts.vega.address = "300.1.1.1";
    },
    expect: [
      ["mqtt.users.__proto__", "invalid name '__proto__'"],
      ["hosts.vega.address", "expected an IPv4 address or a DNS name"],
    ],
  },
  {
    name: "version too long for a file name",
    mutate: (f) => (f.versions["lyra-orchestrator"] = `1.0.0+${"b".repeat(250)}`),
    expect: [["versions.lyra-orchestrator", "expected a version string of at most 128 characters"]],
  },
  {
    name: "no NTP servers",
    mutate: (f) => (f.site.ntpServers = []),
    expect: [["site.ntpServers", "expected at least one NTP server"]],
  },
  {
    name: "bad time zone",
    mutate: (f) => (f.site.timezone = "Mars/Olympus"),
    expect: [["site.timezone", "expected an IANA time zone"]],
  },
  {
    name: "NAS path relative",
    mutate: (f) => (f.site.nas.path = "volume1"),
    expect: [["site.nas.path", "expected an absolute, normalized path on the NAS"]],
  },
  { name: "no hosts", mutate: (f) => (f.hosts = {}), expect: [["hosts", "expected at least one host"]] },
  {
    name: "hosts as a list",
    mutate: (f) => (f.hosts = [f.hosts.lyra]),
    expect: [["hosts", "expected a map of host name to host settings"]],
  },
  {
    name: "mqtt user shadows a host",
    mutate: (f) => (f.mqtt = { users: { vega: { publish: ["x"] } } }),
    expect: [["mqtt.users.vega", "user 'vega' is implicit"]],
  },
  {
    name: "bad topic filter",
    mutate: (f) => (f.mqtt = { users: { grafana: { subscribe: ["lyra/#/x"] } } }),
    expect: [["mqtt.users.grafana.subscribe.0", "expected an MQTT topic filter"]],
  },
  {
    name: "enabled not a boolean",
    mutate: (f) => (f.hosts.lyra.services.nodered = { enabled: "no" }),
    expect: [["hosts.lyra.services.nodered.enabled", "expected true or false"]],
  },
  {
    name: "several problems at once",
    mutate: (f) => {
      f.hosts["mirror-2"].address = "300.1.1.1";
      f.hosts.lyra.role = "gpu";
      f.site.ntpServers = [];
    },
    expect: [
      ["hosts.mirror-2.address", "expected an IPv4 address"],
      ["hosts.lyra.role", "expected a role preset"],
      ["site.ntpServers", "expected at least one NTP server"],
    ],
  },
];

test("the home stack itself is valid", () => {
  const fleet = parseFleet(home(), source);
  assert.deepEqual(
    fleet.hosts.map((h) => h.name),
    ["lyra", "mirror-1", "mirror-2", "vega"],
  );
});

test(`at least 25 malformed stacks are covered (${cases.length})`, () => assert.ok(cases.length >= 25));

for (const c of cases) {
  test(`rejects: ${c.name}`, () => {
    const raw = home();
    c.mutate(raw);
    const error = (() => {
      try {
        parseFleet(raw, source);
      } catch (e) {
        return e;
      }
      assert.fail("expected the stack to be rejected");
    })();
    assert.ok(error instanceof FleetConfigError, `expected a FleetConfigError, got ${String(error)}`);
    assert.ok(error.message.startsWith(`${source}: `), error.message);
    for (const [path, fragment] of c.expect) {
      const hit = error.issues.find((i) => i.path === path && i.message.includes(fragment));
      assert.ok(hit, `expected '${path}: ...${fragment}...' in:\n${error.message}`);
      assert.ok(error.message.includes(`  - ${path}: `), error.message);
    }
    // The message is the whole story: no stack trace frames.
    assert.doesNotMatch(error.stack ?? "", /\n\s+at /);
  });
}
