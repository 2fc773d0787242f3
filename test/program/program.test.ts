/**
 * The resource graph of the home stack, from the real program under Pulumi mocks: inventory,
 * order, secrets, determinism, and the exact scope of single-setting changes.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { parseFleet } from "../../src/model/load";
import { planFleet } from "../../src/render";
import { evaluate, stackFleet, testSecrets, type Evaluation } from "./evaluate";
import type { Registration } from "./harness";

const TYPE = {
  file: "pulumi-nodejs:dynamic/lyra-host:File",
  directory: "pulumi-nodejs:dynamic/lyra-host:Directory",
  unit: "pulumi-nodejs:dynamic/lyra-host:SystemdUnit",
  packages: "pulumi-nodejs:dynamic/lyra-host:AptPackages",
  container: "docker:index/container:Container",
  command: "command:remote:Command",
  host: "lyra-fleet:fleet:Host",
};

let home: Evaluation;
const homeFleet = stackFleet("home");
const homeSecrets = testSecrets(homeFleet);
before(() => {
  home = evaluate({ stack: "home", fleet: homeFleet, secrets: homeSecrets });
  assert.equal(home.error, undefined, home.error?.message);
});

const named = (rs: Registration[], type: string, name: string) => {
  const r = rs.find((x) => x.type === type && x.name === name);
  assert.ok(r, `no ${type} named ${name}`);
  return r;
};
const hostOf = (r: Registration) => r.name.split(":")[0];

test("every planned package set, directory, file and unit of every host is exactly one resource", () => {
  const plans = planFleet(parseFleet(homeFleet, "stacks/Pulumi.home.yaml"));
  for (const plan of plans) {
    const mine = home.registrations.filter((r) => r.custom && hostOf(r) === plan.host);
    const names = (type: string) => mine.filter((r) => r.type === type).map((r) => r.name.slice(plan.host.length + 1)).sort();
    assert.deepEqual(names(TYPE.file), plan.files.map((f) => f.path).sort(), `${plan.host} files`);
    assert.deepEqual(names(TYPE.directory), plan.directories.map((d) => d.path).sort(), `${plan.host} directories`);
    assert.deepEqual(names(TYPE.unit), plan.units.map((u) => u.name).sort(), `${plan.host} units`);
    assert.deepEqual(named(mine, TYPE.packages, `${plan.host}:packages`).inputs.packages, plan.packages);
  }
  assert.deepEqual(home.registrations.filter((r) => r.type === TYPE.host).map((r) => r.name).sort(), ["lyra", "mirror-1", "mirror-2", "vega"]);
});

test("the runbook's names: units on their hosts, the broker container on vega, health gates", () => {
  const units = (host: string) => home.registrations.filter((r) => r.type === TYPE.unit && hostOf(r) === host).map((r) => r.inputs.name);
  for (const u of ["lyra-orchestrator.service", "qdrant.service", "mkdocs.service", "nodered.service", "nut-server.service", "lyra-health.timer", "chrony.service"]) assert.ok(units("lyra").includes(u), `lyra: ${u}`);
  for (const m of ["mirror-1", "mirror-2"]) {
    for (const u of ["mqtt-client.service", "stt-service.service", "lyra-client.service", "lyra-config-sync.service", "lyra-config-sync.timer", "lyra-health.timer"]) assert.ok(units(m).includes(u), `${m}: ${u}`);
  }
  const container = named(home.registrations, TYPE.container, "vega:mqtt-broker-container");
  assert.equal(container.inputs.name, "mqtt-broker");
  assert.equal(container.inputs.restart, "unless-stopped");
  assert.deepEqual(container.inputs.ports, [{ external: 1883, internal: 1883, protocol: "tcp" }]);
  assert.ok((container.inputs.mounts as any[]).some((m) => m.type === "bind" && m.readOnly === true), "config mounted read-only");
  assert.ok((container.inputs.mounts as any[]).some((m) => m.type === "volume" && m.readOnly === false), "persistent data volume");
  assert.ok((container.inputs.labels as any[]).some((l) => l.label === "lyra-fleet.config-sha256"), "config hash label");
  const gates = home.registrations.filter((r) => r.type === TYPE.command).map((r) => r.name).sort();
  assert.deepEqual(gates, ["lyra:health-gate", "mirror-1:health-gate", "mirror-2:health-gate", "vega:health-gate", "vega:mqtt-round-trip"]);
  assert.match(String(named(home.registrations, TYPE.command, "lyra:health-gate").inputs.create), /http:\/\/127\.0\.0\.1:8000\/healthz\)" = "200"/);
});

test("order: packages, then directories and files, then units; qdrant before the orchestrator; the broker before its clients; the config source before the sync", () => {
  const regs = home.registrations;
  const urn = (type: string, name: string) => named(regs, type, name).urn;
  const deps = (type: string, name: string) => named(regs, type, name).dependencies;
  assert.ok(deps(TYPE.file, "vega:/etc/mosquitto/lyra/mosquitto.conf").includes(urn(TYPE.packages, "vega:packages")));
  const orchestrator = deps(TYPE.unit, "lyra:lyra-orchestrator.service");
  assert.ok(orchestrator.includes(urn(TYPE.unit, "lyra:qdrant.service")), "orchestrator after qdrant");
  assert.ok(orchestrator.includes(urn(TYPE.file, "lyra:/etc/lyra/orchestrator/mqtt-password")), "unit after its files");
  const broker = urn(TYPE.container, "vega:mqtt-broker-container");
  for (const name of ["mirror-1:mqtt-client.service", "mirror-2:lyra-client.service", "lyra:nodered.service", "lyra:lyra-orchestrator.service"]) {
    assert.ok(deps(TYPE.unit, name).includes(broker), `${name} waits for the broker`);
  }
  assert.ok(deps(TYPE.container, "vega:mqtt-broker-container").includes(urn(TYPE.file, "vega:/etc/mosquitto/lyra/passwd")), "the container after its config");
  const configSource = regs.filter((r) => r.type === TYPE.file && r.name.startsWith("vega:/opt/lyra/config/")).map((r) => r.urn);
  assert.ok(configSource.length > 0);
  for (const u of configSource) assert.ok(deps(TYPE.unit, "mirror-1:lyra-config-sync.service").includes(u), "sync after the config source");
  assert.ok(deps(TYPE.command, "lyra:health-gate").includes(urn(TYPE.unit, "lyra:lyra-orchestrator.service")), "gate after the units");
});

test("every secret value appears only in secret inputs", () => {
  const values = Object.values(homeSecrets);
  const leaks: string[] = [];
  for (const r of home.registrations) {
    const walk = (v: unknown, path: string) => {
      if (typeof v === "string") {
        const secret = r.secretPaths.some((p) => path === p || path.startsWith(`${p}.`));
        if (!secret && values.some((s) => v.includes(s))) leaks.push(`${r.name} ${path}`);
      } else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    };
    walk(r.inputs, "");
  }
  assert.deepEqual(leaks, []);
  // And they do arrive where they are needed, as secrets.
  const pub = named(home.registrations, TYPE.file, "vega:/etc/lyra/health/mosquitto_pub");
  assert.ok(pub.secretPaths.includes("content"));
  assert.match(String(pub.inputs.content), new RegExp(homeSecrets["mqtt-password-vega"]));
});

test("evaluating twice gives identical inputs (a no-op preview)", () => {
  const again = evaluate({ stack: "home", fleet: homeFleet, secrets: homeSecrets });
  assert.deepEqual(again.registrations, home.registrations);
});

/** Resources whose inputs differ, appear or disappear: what `pulumi preview` would list. */
function changedResources(after: Evaluation): string[] {
  const key = (r: Registration) => `${r.name}`;
  const beforeByKey = new Map(home.registrations.filter((r) => r.custom).map((r) => [key(r), JSON.stringify(r.inputs)]));
  const afterByKey = new Map(after.registrations.filter((r) => r.custom).map((r) => [key(r), JSON.stringify(r.inputs)]));
  const out: string[] = [];
  for (const [k, v] of afterByKey) if (!beforeByKey.has(k)) out.push(`+ ${k}`);
  else if (beforeByKey.get(k) !== v) out.push(`~ ${k}`);
  for (const k of beforeByKey.keys()) if (!afterByKey.has(k)) out.push(`- ${k}`);
  return out.sort();
}

const docsPages = ["checks.md", "hosts/lyra.md", "index.md", "recovery.md"].map((p) => `lyra:/opt/lyra/docs/docs/${p}`);
const everyGate = ["lyra:health-gate", "mirror-1:health-gate", "mirror-2:health-gate", "vega:health-gate"];

const changes: { name: string; change: (fleet: any, secrets: Record<string, string>) => void; expect: (changed: string[]) => void }[] = [
  {
    name: "the orchestrator's version",
    change: (f) => (f.versions["lyra-orchestrator"] = "1.5.0"),
    expect: (c) => assert.deepEqual(c, ["~ lyra:health-gate", "~ lyra:lyra-orchestrator.service"]),
  },
  {
    name: "an NTP server",
    change: (f) => (f.site.ntpServers = ["ntp.home.arpa"]),
    expect: (c) =>
      assert.deepEqual(c, [
        ...["lyra", "mirror-1", "mirror-2", "vega"].flatMap((h) => [`~ ${h}:/etc/chrony/chrony.conf`, `~ ${h}:chrony.service`, `~ ${h}:health-gate`]),
        "~ lyra:/opt/lyra/docs/docs/index.md",
        "~ lyra:mkdocs.service",
      ].sort()),
  },
  {
    name: "mirror-1's MQTT password",
    change: (_f, s) => (s["mqtt-password-mirror-1"] = "rotated-password"),
    expect: (c) =>
      assert.deepEqual(c, [
        "~ mirror-1:/etc/lyra/health/mosquitto_pub",
        "~ mirror-1:/etc/lyra/lyra-client/mqtt-password",
        "~ mirror-1:/etc/lyra/mqtt-client/mosquitto_pub",
        "~ mirror-1:health-gate",
        "~ mirror-1:lyra-client.service",
        "~ mirror-1:mqtt-client.service",
        "~ vega:/etc/mosquitto/lyra/passwd",
        "~ vega:health-gate",
        "~ vega:mqtt-broker-container",
      ]),
  },
  {
    name: "the broker port",
    change: (f) => (f.hosts.vega.services = { "mqtt-broker": { port: 1884 } }),
    expect: (c) => {
      for (const r of ["~ vega:/etc/mosquitto/lyra/mosquitto.conf", "~ vega:mqtt-broker-container", "~ vega:mqtt-round-trip", ...everyGate.map((g) => `~ ${g}`)]) assert.ok(c.includes(r), r);
      for (const h of ["lyra", "mirror-1", "mirror-2", "vega"]) assert.ok(c.includes(`~ ${h}:/etc/lyra/health/mosquitto_pub`), `${h} health publisher follows the port`);
      for (const m of ["mirror-1", "mirror-2"]) assert.ok(c.includes(`~ ${m}:mqtt-client.service`), `${m} client restarted`);
      // Nothing unrelated: no package set, no time sync, no qdrant, no add/remove.
      assert.deepEqual(c.filter((x) => /packages|chrony|qdrant|^[+-]/.test(x)), []);
    },
  },
  {
    name: "a mirror added",
    change: (f, s) => {
      f.hosts["mirror-3"] = { ...f.hosts["mirror-2"], address: "192.168.1.23" };
      s["mqtt-password-mirror-3"] = "pw-3";
    },
    expect: (c) => {
      const added = c.filter((x) => x.startsWith("+ "));
      assert.ok(added.includes("+ mirror-3:mqtt-client.service") && added.includes("+ mirror-3:packages") && added.includes("+ mirror-3:health-gate"));
      assert.ok(added.includes("+ lyra:/opt/lyra/docs/docs/hosts/mirror-3.md"));
      assert.deepEqual(added.filter((x) => !x.startsWith("+ mirror-3:") && x !== "+ lyra:/opt/lyra/docs/docs/hosts/mirror-3.md"), []);
      for (const r of ["~ vega:/etc/mosquitto/lyra/passwd", "~ vega:/etc/mosquitto/lyra/acl", "~ vega:/etc/prometheus/prometheus.yml", "~ lyra:/etc/lyra/nodered/flows.json", "~ vega:mqtt-broker-container", ...docsPages.map((p) => `~ ${p}`)]) assert.ok(c.includes(r), r);
      assert.ok(!c.some((x) => x.startsWith("~ mirror-1:") || x.startsWith("~ mirror-2:") || x.startsWith("- ")), "existing mirrors untouched");
    },
  },
  {
    name: "a mirror removed",
    change: (f) => delete f.hosts["mirror-2"],
    expect: (c) => {
      const removed = c.filter((x) => x.startsWith("- "));
      assert.ok(removed.includes("- mirror-2:mqtt-client.service") && removed.includes("- lyra:/opt/lyra/docs/docs/hosts/mirror-2.md"));
      assert.deepEqual(removed.filter((x) => !x.startsWith("- mirror-2:") && x !== "- lyra:/opt/lyra/docs/docs/hosts/mirror-2.md"), []);
      assert.ok(c.includes("~ vega:/etc/mosquitto/lyra/passwd") && c.includes("~ vega:/etc/mosquitto/lyra/acl"));
      assert.ok(!c.some((x) => x.startsWith("~ mirror-1:") || x.startsWith("+ ")), "the other mirror untouched");
    },
  },
];

for (const { name, change, expect } of changes) {
  test(`a single change, exactly its resources: ${name}`, () => {
    const fleet = structuredClone(homeFleet);
    const secrets = { ...homeSecrets };
    change(fleet, secrets);
    const after = evaluate({ stack: "home", fleet, secrets });
    assert.equal(after.error, undefined, after.error?.message);
    expect(changedResources(after));
  });
}

test("an invalid stack registers nothing and says why, naming the file and path", () => {
  const fleet = structuredClone(homeFleet);
  fleet.hosts["mirror-2"].address = "300.1.1.1";
  const result = evaluate({ stack: "home", fleet, secrets: homeSecrets });
  assert.equal(result.error?.name, "FleetConfigError");
  assert.match(result.error!.message, /^stacks\/Pulumi\.home\.yaml: 1 problem in lyra-fleet:fleet; nothing was changed:\n  - hosts\.mirror-2\.address: /);
  assert.deepEqual(result.registrations, []);
});

test("missing secrets fail before anything is registered, each named with its command, no value shown", () => {
  const secrets = { ...homeSecrets };
  delete secrets["mqtt-password-monitor"];
  delete secrets["mqtt-password-mirror-2"];
  const result = evaluate({ stack: "home", fleet: homeFleet, secrets });
  assert.match(result.error?.message ?? "", /^stacks\/Pulumi\.home\.yaml: missing secrets; nothing was changed/);
  assert.match(result.error!.message, /^  pulumi config set --secret --stack home mqtt-password-mirror-2$/m);
  assert.match(result.error!.message, /^  pulumi config set --secret --stack home mqtt-password-monitor$/m);
  assert.deepEqual(result.registrations, []);
  for (const v of Object.values(secrets)) assert.ok(!result.error!.message.includes(v));
});
