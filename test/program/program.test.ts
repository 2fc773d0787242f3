/**
 * The resource graph of the home stack, from the real program under Pulumi mocks: inventory,
 * order, secrets, determinism, and the exact scope of single-setting changes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { parseFleet } from "../../src/model/load";
import { derivedSecretSources, derivedSecretValue } from "../../src/model/secrets";
import { mqttPasswordsKeySecret } from "../../src/services/mqtt-broker/secrets";
import { planFleet } from "../../src/render";
import { fleetExports } from "../../src/fleet/exports";
import { homeFleetWithMirrors } from "../support/stack-fleet";
import { evaluate, stackFleet, testSecrets, type Evaluation } from "./evaluate";
import type { Registration } from "./harness";

const TYPE = {
  state: "pulumi-nodejs:dynamic/lyra-host:HostState",
  container: "docker:index/container:Container",
  gate: "pulumi-nodejs:dynamic/lyra-host:HealthGate",
  fleet: "lyra-fleet:fleet:Fleet",
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
/** A HostState's inputs, its items and secret files decoded from the JSON text the resource sends. */
const decoded = (inputs: Record<string, unknown>): Record<string, any> => ({
  ...inputs,
  ...JSON.parse(String(inputs.items)),
  secretFiles: JSON.parse(String(inputs.secretFiles)),
});
/** A host's HostState inputs, decoded. */
const stateOf = (rs: Registration[], host: string) => decoded(named(rs, TYPE.state, `${host}:state`).inputs);

test("each host is one state, with its health gate unless it has containers or other hosts wait for it, children of the Fleet; every planned item is in the state exactly once", () => {
  const plans = planFleet(parseFleet(homeFleet, "stacks/Pulumi.home.yaml"));
  for (const plan of plans) {
    const custom = home.registrations.filter(
      (r) =>
        r.custom && hostOf(r) === plan.host && !r.type.startsWith("docker:") && !r.type.startsWith("pulumi:providers:"),
    );
    // vega's broker container comes after its state, and the other hosts wait for vega: its gate is
    // a resource of its own.
    const extra = plan.host === "vega" ? [`${TYPE.gate} vega:health-gate`, `${TYPE.gate} vega:mqtt-round-trip`] : [];
    assert.deepEqual(
      custom.map((r) => `${r.type} ${r.name}`).sort(),
      [`${TYPE.state} ${plan.host}:state`, ...extra].sort(),
    );
    const state = stateOf(home.registrations, plan.host);
    assert.equal(state.gate !== undefined, plan.host !== "vega", `${plan.host}: a gate in its state`);
    assert.deepEqual(state.packages, plan.packages, `${plan.host} packages`);
    assert.deepEqual(
      Object.keys(state.directories).sort(),
      plan.directories.map((d) => d.path).sort(),
      `${plan.host} directories`,
    );
    assert.deepEqual(
      [...Object.keys(state.files), ...Object.keys(state.secretFiles)].sort(),
      plan.files.map((f) => f.path).sort(),
      `${plan.host} files`,
    );
    assert.deepEqual(Object.keys(state.units).sort(), plan.units.map((u) => u.name).sort(), `${plan.host} units`);
    // Each artifact by key, without its key and restarts; the units it restarts name its install dir.
    assert.deepEqual(
      state.artifacts,
      Object.fromEntries(plan.artifacts.map(({ key, restarts: _restarts, ...item }) => [key, item])),
      `${plan.host} artifacts`,
    );
    for (const artifact of plan.artifacts)
      for (const unit of artifact.restarts)
        assert.ok(
          state.units[unit].restartOn.includes(artifact.installDir),
          `${plan.host}: ${unit} restarts on ${artifact.key}`,
        );
    // The Fleet's child, known also by the URN it had while each host was a component of its own,
    // so that a stack written then keeps its states.
    const registered = named(home.registrations, TYPE.state, `${plan.host}:state`);
    assert.equal(registered.parent, named(home.registrations, TYPE.fleet, "fleet").urn);
    assert.deepEqual(registered.aliasUrns, [
      `urn:pulumi:home::lyra-fleet::lyra-fleet:fleet:Fleet$lyra-fleet:fleet:Host$pulumi-nodejs:dynamic/lyra-host:HostState::${plan.host}:state`,
    ]);
  }
  assert.deepEqual(
    home.registrations.filter((r) => r.type === TYPE.state).map((r) => r.name),
    ["lyra:state", "mirror-1:state", "mirror-2:state", "vega:state"],
  );
  assert.equal(home.registrations.filter((r) => r.type === "lyra-fleet:fleet:Host").length, 0, "no Host components");
});

test("a host others wait for keeps its gate as a resource even without containers (the lab's native broker)", () => {
  const fleet = stackFleet("lab");
  const lab = evaluate({ stack: "lab", fleet, secrets: testSecrets(fleet) });
  assert.equal(lab.error, undefined, lab.error?.message);
  assert.deepEqual(
    lab.registrations.filter((r) => r.type === TYPE.container),
    [],
    "the lab's broker is native: vega has no container",
  );
  assert.deepEqual(
    lab.registrations
      .filter((r) => r.type === TYPE.gate)
      .map((r) => r.name)
      .sort(),
    ["vega:health-gate", "vega:mqtt-round-trip"],
  );
  for (const host of ["lyra", "mirror-1"])
    assert.ok(stateOf(lab.registrations, host).gate, `${host}: a gate in its state`);
  assert.equal(stateOf(lab.registrations, "vega").gate, undefined);
});

test("a host may bear the name of a property every object inherits (constructor): it is declared as any other", () => {
  const raw = stackFleet("lab");
  // vega renamed, with every reference to it (the mirrors' config source): the broker's host.
  const fleet = JSON.parse(JSON.stringify(raw).replaceAll('"vega"', '"constructor"'));
  fleet.hosts.constructor.role = "vega";
  const run = evaluate({ stack: "lab", fleet, secrets: testSecrets(fleet, "lab") });
  assert.equal(run.error, undefined, run.error?.message);
  assert.deepEqual(
    run.registrations
      .filter((r) => r.name.startsWith("constructor:"))
      .map((r) => r.name)
      .sort(),
    ["constructor:health-gate", "constructor:mqtt-round-trip", "constructor:state"],
  );
});

test("the runbook's names: units on their hosts, the broker container on vega, health gates", () => {
  const units = (host: string) => Object.keys(stateOf(home.registrations, host).units);
  for (const u of [
    "lyra-orchestrator.service",
    "qdrant.service",
    "mkdocs.service",
    "nodered.service",
    "nut-server.service",
    "lyra-health.timer",
    "chrony.service",
  ])
    assert.ok(units("lyra").includes(u), `lyra: ${u}`);
  for (const m of ["mirror-1", "mirror-2"]) {
    for (const u of [
      "mqtt-client.service",
      "stt-service.service",
      "lyra-client.service",
      "lyra-config-sync.service",
      "lyra-config-sync.timer",
      "lyra-health.timer",
    ])
      assert.ok(units(m).includes(u), `${m}: ${u}`);
  }
  const container = named(home.registrations, TYPE.container, "vega:mqtt-broker-container");
  assert.equal(container.inputs.name, "mqtt-broker");
  assert.equal(container.inputs.restart, "unless-stopped");
  assert.deepEqual(container.inputs.ports, [{ external: 1883, internal: 1883, protocol: "tcp" }]);
  assert.ok(
    (container.inputs.mounts as any[]).some((m) => m.type === "bind" && m.readOnly === true),
    "config mounted read-only",
  );
  assert.ok(
    (container.inputs.mounts as any[]).some((m) => m.type === "volume" && m.readOnly === false),
    "persistent data volume",
  );
  assert.ok(
    (container.inputs.labels as any[]).some((l) => l.label === "lyra-fleet.config-sha256"),
    "config hash label",
  );
  const gates = home.registrations
    .filter((r) => r.type === TYPE.gate)
    .map((r) => r.name)
    .sort();
  assert.deepEqual(gates, ["vega:health-gate", "vega:mqtt-round-trip"]);
  assert.match(
    String(stateOf(home.registrations, "lyra").gate.script),
    /^http_answers 'lyra: lyra-orchestrator \/healthz' http:\/\/127\.0\.0\.1:8000\/healthz 200$/m,
  );
});

test("the broker container is given its image by ID, which keeps a second `pulumi up` a no-op on @pulumi/docker 4.6.2", () => {
  // pulumi-docker issue 1431 (fixed in 4.7.0): with `image: RemoteImage.repoDigest` the provider
  // stores the image ID and diffs it against the digest written, so every `pulumi up` replaced
  // the container and restarted the broker. The image ID is what the provider stores.
  const image = home.registrations.find((r) => r.type === "docker:index/remoteImage:RemoteImage");
  assert.ok(image, "a RemoteImage for the broker");
  assert.match(String(image.inputs.name), /@sha256:[0-9a-f]{64}$/, "pulled by digest");
  assert.equal(
    named(home.registrations, TYPE.container, "vega:mqtt-broker-container").inputs.image,
    `image-id-of:${image.inputs.name}`,
  );
  const pinned = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")).dependencies[
    "@pulumi/docker"
  ];
  assert.equal(pinned, "4.6.2", "a newer @pulumi/docker may take repoDigest again: re-check issue 1431 and this test");
});

test("order: units after the units they name and restarted by their files; the broker before its clients; the config source before the sync; gates last", () => {
  const regs = home.registrations;
  const urn = (type: string, name: string) => named(regs, type, name).urn;
  const deps = (type: string, name: string) => named(regs, type, name).dependencies;
  const orchestrator = stateOf(regs, "lyra").units["lyra-orchestrator.service"];
  assert.ok(orchestrator.after.includes("qdrant.service"), "orchestrator after qdrant");
  assert.ok(
    orchestrator.restartOn.includes("/etc/lyra/orchestrator/mqtt-password"),
    "restarted when its password file is written",
  );
  assert.deepEqual(
    stateOf(regs, "mirror-1").units["lyra-config-sync.timer"].after,
    ["lyra-config-sync.service"],
    "a timer after its service",
  );
  const broker = urn(TYPE.container, "vega:mqtt-broker-container");
  for (const host of ["mirror-1", "mirror-2", "lyra"])
    assert.ok(deps(TYPE.state, `${host}:state`).includes(broker), `${host} waits for the broker`);
  assert.ok(
    deps(TYPE.container, "vega:mqtt-broker-container").includes(urn(TYPE.state, "vega:state")),
    "the container after its config",
  );
  // A re-flashed broker host has no Docker engine until its state installs one.
  for (const [type, name] of [
    ["docker:index/remoteImage:RemoteImage", "vega:mqtt-broker-image"],
    ["docker:index/volume:Volume", "vega:mqtt-broker-mqtt-broker-data"],
  ])
    assert.ok(deps(type, name).includes(urn(TYPE.state, "vega:state")), `${name} after the host's Docker engine`);
  assert.ok(deps(TYPE.state, "mirror-1:state").includes(urn(TYPE.state, "vega:state")), "sync after the config source");
  assert.deepEqual(deps(TYPE.state, "vega:state"), [], "the hub waits for nobody");
  // vega's gate, a resource: after its state, and again after every apply that changed the host
  // (its state's digest is a trigger).
  assert.ok(deps(TYPE.gate, "vega:health-gate").includes(urn(TYPE.state, "vega:state")), "vega's gate after its state");
  assert.ok(
    (named(regs, TYPE.gate, "vega:health-gate").inputs.triggers as unknown[]).some((t) =>
      String(t).startsWith("converged:vega:state:"),
    ),
    "vega's gate re-runs when its host changed",
  );
  // The others run theirs in their states' applies, after the broker, and again after every apply
  // that changed the broker's host (its state's digest is a trigger).
  for (const host of ["lyra", "mirror-1", "mirror-2"]) {
    assert.ok(deps(TYPE.state, `${host}:state`).includes(broker), `${host}'s gate after the broker`);
    assert.ok(
      (stateOf(regs, host).gate.triggers as unknown[]).some((t) => String(t).startsWith("converged:vega:state:")),
      `${host}'s gate re-runs when the broker's host changed`,
    );
  }
  assert.ok(deps(TYPE.gate, "vega:mqtt-round-trip").includes(broker), "the round trip after the broker");
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
  const vega = named(home.registrations, TYPE.state, "vega:state");
  assert.ok(vega.secretPaths.includes("secretFiles"));
  assert.match(
    String(decoded(vega.inputs).secretFiles["/etc/lyra/health/mosquitto_pub"].content),
    new RegExp(homeSecrets["mqtt-password-vega"]),
  );
});

test("evaluating twice gives identical inputs (a no-op preview)", () => {
  const again = evaluate({ stack: "home", fleet: homeFleet, secrets: homeSecrets });
  assert.deepEqual(again.registrations, home.registrations);
});

/**
 * What `pulumi preview` would list, item by item: a host's packages, directories, files and units
 * inside its HostState (a unit also changes when a file it restarts on does), and every other
 * resource whole.
 */
function itemsOf(r: Registration): [string, string][] {
  if (r.type !== TYPE.state) return [[r.name, JSON.stringify(r.inputs)]];
  const host = hostOf(r);
  const inputs = decoded(r.inputs);
  const files = { ...inputs.files, ...inputs.secretFiles };
  const artifacts: [string, any][] = Object.entries(inputs.artifacts);
  const installed = Object.fromEntries(artifacts.map(([, a]) => [a.installDir, a]));
  return [
    ...artifacts.map(([key, a]): [string, string] => [`${host}:artifact ${key}`, JSON.stringify(a)]),
    [`${host}:packages`, JSON.stringify(inputs.packages)],
    [`${host}:connection`, JSON.stringify(inputs.connection)],
    ...Object.entries(inputs.directories).map(([path, d]): [string, string] => [`${host}:${path}`, JSON.stringify(d)]),
    ...Object.entries(files).map(([path, f]): [string, string] => [`${host}:${path}`, JSON.stringify(f)]),
    ...Object.entries(inputs.units).map(([name, u]: [string, any]): [string, string] => [
      `${host}:${name}`,
      JSON.stringify([u, u.restartOn.map((p: string) => files[p] ?? installed[p])]),
    ]),
    ...(inputs.gate ? [[`${host}:health-gate`, JSON.stringify(inputs.gate)] as [string, string]] : []),
  ];
}

/** The hosts whose states run their own gate: it runs after every apply of the host. */
const hostsWithGates = (e: Evaluation) =>
  new Set(e.registrations.filter((r) => r.type === TYPE.state && r.inputs.gate !== undefined).map(hostOf));

function changedResources(after: Evaluation): string[] {
  const index = (e: Evaluation) => new Map(e.registrations.filter((r) => r.custom).flatMap(itemsOf));
  const beforeByKey = index(home);
  const afterByKey = index(after);
  const out: string[] = [];
  for (const [k, v] of afterByKey)
    if (!beforeByKey.has(k)) out.push(`+ ${k}`);
    else if (beforeByKey.get(k) !== v) out.push(`~ ${k}`);
  for (const k of beforeByKey.keys()) if (!afterByKey.has(k)) out.push(`- ${k}`);
  // A state that runs its own gate runs it after any apply of its host: listed as its gate's change.
  const gated = hostsWithGates(after);
  for (const host of new Set(out.map((x) => x.slice(2).split(":")[0])))
    if (gated.has(host) && beforeByKey.has(`${host}:health-gate`) && !out.includes(`~ ${host}:health-gate`))
      out.push(`~ ${host}:health-gate`);
  return out.sort();
}

const docsPages = ["checks.md", "hosts/lyra.md", "index.md", "recovery.md"].map((p) => `lyra:/opt/lyra/docs/docs/${p}`);
const everyGate = ["lyra:health-gate", "mirror-1:health-gate", "mirror-2:health-gate", "vega:health-gate"];

const changes: {
  name: string;
  change: (fleet: any, secrets: Record<string, string>) => void;
  expect: (changed: string[]) => void;
}[] = [
  {
    name: "the orchestrator's version",
    change: (f) => (f.versions["lyra-orchestrator"] = "1.5.0"),
    // The release is installed and its unit runs it (restarted once); the docs name the new version.
    expect: (c) =>
      assert.deepEqual(c, [
        "~ lyra:/opt/lyra/docs/docs/checks.md",
        "~ lyra:/opt/lyra/docs/docs/hosts/lyra.md",
        "~ lyra:artifact lyra-orchestrator",
        "~ lyra:health-gate",
        "~ lyra:lyra-orchestrator.service",
      ]),
  },
  {
    name: "qdrant's artifact digest (a rebuilt release of the same version)",
    change: (f) => (f.artifacts.qdrant.sha256 = "f".repeat(64)),
    expect: (c) =>
      assert.deepEqual(c, [
        "~ lyra:/opt/lyra/docs/docs/checks.md",
        "~ lyra:/opt/lyra/docs/docs/hosts/lyra.md",
        "~ lyra:artifact qdrant",
        "~ lyra:health-gate",
        "~ lyra:qdrant.service",
      ]),
  },
  {
    name: "the mirrors' stt-service version",
    change: (f) => (f.versions["stt-service"] = "1.0.0"),
    expect: (c) =>
      assert.deepEqual(c, [
        "~ lyra:/opt/lyra/docs/docs/checks.md",
        "~ lyra:/opt/lyra/docs/docs/hosts/mirror-1.md",
        "~ lyra:/opt/lyra/docs/docs/hosts/mirror-2.md",
        "~ lyra:health-gate",
        ...["mirror-1", "mirror-2"].flatMap((m) => [
          `~ ${m}:/etc/lyra/stt-service/stt-service.env`,
          `~ ${m}:artifact stt-service`,
          `~ ${m}:health-gate`,
          `~ ${m}:stt-service.service`,
        ]),
      ]),
  },
  {
    name: "an NTP server",
    change: (f) => (f.site.ntpServers = ["ntp.home.arpa"]),
    expect: (c) =>
      assert.deepEqual(
        c,
        [
          ...["lyra", "mirror-1", "mirror-2", "vega"].flatMap((h) => [
            `~ ${h}:/etc/chrony/chrony.conf`,
            `~ ${h}:chrony.service`,
            `~ ${h}:health-gate`,
          ]),
          "~ lyra:/opt/lyra/docs/docs/index.md",
          // The broker's host changed: its round trip is checked again.
          "~ vega:mqtt-round-trip",
        ].sort(),
      ),
  },
  {
    name: "mirror-1's MQTT password",
    change: (_f, s) => (s["mqtt-password-mirror-1"] = "rotated-password"),
    // The broker's passwd changed on vega: every client of the broker is checked again (the gates
    // of lyra and mirror-2, the round trip), nothing else of theirs changes.
    expect: (c) =>
      assert.deepEqual(c, [
        "~ lyra:health-gate",
        "~ mirror-1:/etc/lyra/health/mosquitto_pub",
        "~ mirror-1:/etc/lyra/lyra-client/mqtt-password",
        "~ mirror-1:/etc/lyra/mqtt-client/mosquitto_pub",
        "~ mirror-1:health-gate",
        "~ mirror-1:lyra-client.service",
        "~ mirror-1:mqtt-client.service",
        "~ mirror-2:health-gate",
        "~ vega:/etc/mosquitto/lyra/passwd",
        "~ vega:health-gate",
        "~ vega:mqtt-broker-container",
        "~ vega:mqtt-round-trip",
      ]),
  },
  {
    name: "the broker port",
    change: (f) => (f.hosts.vega.services = { "mqtt-broker": { port: 1884 } }),
    expect: (c) => {
      for (const r of [
        "~ vega:/etc/mosquitto/lyra/mosquitto.conf",
        "~ vega:mqtt-broker-container",
        "~ vega:mqtt-round-trip",
        ...everyGate.map((g) => `~ ${g}`),
      ])
        assert.ok(c.includes(r), r);
      for (const h of ["lyra", "mirror-1", "mirror-2", "vega"])
        assert.ok(c.includes(`~ ${h}:/etc/lyra/health/mosquitto_pub`), `${h} health publisher follows the port`);
      for (const m of ["mirror-1", "mirror-2"])
        assert.ok(c.includes(`~ ${m}:mqtt-client.service`), `${m} client restarted`);
      // Nothing unrelated: no package set, no time sync, no qdrant, no add/remove.
      assert.deepEqual(
        c.filter((x) => /packages|chrony|qdrant|^[+-]/.test(x)),
        [],
      );
    },
  },
  {
    name: "the broker's image",
    change: (f) => (f.images["mqtt-broker"] = `eclipse-mosquitto:2.0.21@sha256:${"a".repeat(64)}`),
    // Only the container changes on vega, not its state: vega's gate runs again through its plan
    // (the containers are part of what a gate re-runs for), and the round trip with the new broker.
    expect: (c) => {
      assert.deepEqual(
        c.filter((x) => x.startsWith("~ vega:")),
        ["~ vega:health-gate", "~ vega:mqtt-broker-container", "~ vega:mqtt-broker-image", "~ vega:mqtt-round-trip"],
      );
      assert.deepEqual(
        c.filter((x) => !x.startsWith("~ vega:") && !x.startsWith("~ lyra:/opt/lyra/docs/")),
        ["~ lyra:health-gate"],
      );
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
      assert.ok(
        added.includes("+ mirror-3:mqtt-client.service") &&
          added.includes("+ mirror-3:packages") &&
          added.includes("+ mirror-3:health-gate"),
      );
      assert.ok(added.includes("+ lyra:/opt/lyra/docs/docs/hosts/mirror-3.md"));
      assert.deepEqual(
        added.filter((x) => !x.startsWith("+ mirror-3:") && x !== "+ lyra:/opt/lyra/docs/docs/hosts/mirror-3.md"),
        [],
      );
      for (const r of [
        "~ vega:/etc/mosquitto/lyra/passwd",
        "~ vega:/etc/mosquitto/lyra/acl",
        "~ vega:/etc/prometheus/prometheus.yml",
        "~ lyra:/etc/lyra/nodered/flows.json",
        "~ vega:mqtt-broker-container",
        ...docsPages.map((p) => `~ ${p}`),
      ])
        assert.ok(c.includes(r), r);
      // The existing mirrors keep every item; their gates run again, as every broker client's does
      // when the broker's host changed (its passwd and ACL name the new mirror).
      assert.deepEqual(
        c.filter((x) => x.startsWith("~ mirror-1:") || x.startsWith("~ mirror-2:") || x.startsWith("- ")),
        ["~ mirror-1:health-gate", "~ mirror-2:health-gate"],
        "existing mirrors untouched",
      );
    },
  },
  {
    name: "a mirror removed",
    change: (f) => delete f.hosts["mirror-2"],
    expect: (c) => {
      const removed = c.filter((x) => x.startsWith("- "));
      assert.ok(
        removed.includes("- mirror-2:mqtt-client.service") &&
          removed.includes("- lyra:/opt/lyra/docs/docs/hosts/mirror-2.md"),
      );
      assert.deepEqual(
        removed.filter((x) => !x.startsWith("- mirror-2:") && x !== "- lyra:/opt/lyra/docs/docs/hosts/mirror-2.md"),
        [],
      );
      assert.ok(c.includes("~ vega:/etc/mosquitto/lyra/passwd") && c.includes("~ vega:/etc/mosquitto/lyra/acl"));
      assert.deepEqual(
        c.filter((x) => x.startsWith("~ mirror-1:") || x.startsWith("+ ")),
        ["~ mirror-1:health-gate"],
        "the other mirror untouched but for its gate (the broker's host changed)",
      );
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

test("a pin and back: the second evaluation declares exactly what the first did (a rollback)", () => {
  const fleet = structuredClone(homeFleet);
  fleet.versions.qdrant = "1.13.0";
  const upgraded = evaluate({ stack: "home", fleet, secrets: homeSecrets });
  assert.ok(changedResources(upgraded).includes("~ lyra:artifact qdrant"));
  fleet.versions.qdrant = homeFleet.versions.qdrant;
  const back = evaluate({ stack: "home", fleet, secrets: homeSecrets });
  assert.deepEqual(changedResources(back), []);
  assert.deepEqual(back.registrations, home.registrations);
});

test("the stack outputs, exported once the fleet is declared: each host's address, role, services and docs, and the broker", () => {
  const plans = planFleet(parseFleet(homeFleet, "stacks/Pulumi.home.yaml"));
  assert.deepEqual(home.outputs, { hosts: fleetExports(plans), broker: "vega:1883" });
});

test("under an engine that answers as it applies, as in `pulumi up`, the program keeps its registrations unanswered within its window, and declares everything", () => {
  const mirrors = 600;
  const fleet = homeFleetWithMirrors(mirrors);
  const run = evaluate({ stack: "home", fleet, secrets: testSecrets(fleet), applying: { parallel: 8, applyMs: 2 } });
  assert.equal(run.error, undefined, run.error?.message);
  // Every host's state (its gate in it), about 600 registrations: the engine's answers came far slower
  // than the program declares, so without the window all of them waited at once.
  for (let i = 1; i <= mirrors; i++) named(run.registrations, TYPE.state, `mirror-${i}:state`);
  assert.ok(run.registrations.length > 600, `${run.registrations.length} registrations`);
  // The window (200) and one turn of hosts (50), and what the window does not count: the
  // containers' own resources and the fleet's component.
  assert.ok(run.mostUnanswered! <= 270, `${run.mostUnanswered} registrations unanswered at once`);
  assert.ok(run.mostUnanswered! >= 50, `the engine held back answers (${run.mostUnanswered} at most)`);
});

test("a fleet declared in many turns declares every host, its gate and its place in the order", () => {
  const fleet = homeFleetWithMirrors(120);
  const many = evaluate({ stack: "home", fleet, secrets: testSecrets(fleet) });
  assert.equal(many.error, undefined, many.error?.message);
  for (let i = 1; i <= 120; i++) {
    const state = named(many.registrations, TYPE.state, `mirror-${i}:state`);
    // Each mirror's units and its gate wait for the broker; the gate runs in its state's apply.
    assert.ok(state.dependencies.includes(named(many.registrations, TYPE.container, "vega:mqtt-broker-container").urn));
    assert.match(String(decoded(state.inputs).gate.script), new RegExp(`^unit_active mqtt-client\\.service$`, "m"));
  }
  assert.deepEqual(Object.keys((many.outputs as { hosts: object }).hosts).length, 122);
});

test("an invalid stack registers nothing and says why, naming the file and path", () => {
  const fleet = structuredClone(homeFleet);
  fleet.hosts["mirror-2"].address = "300.1.1.1";
  const result = evaluate({ stack: "home", fleet, secrets: homeSecrets });
  assert.equal(result.error?.name, "FleetConfigError");
  assert.match(
    result.error!.message,
    /^stacks\/Pulumi\.home\.yaml: 1 problem in lyra-fleet:fleet; nothing was changed:\n  - hosts\.mirror-2\.address: /,
  );
  assert.deepEqual(result.registrations, []);
});

test("missing secrets fail before anything is registered, each named with its command, no value shown", () => {
  const secrets = { ...homeSecrets };
  delete secrets["mqtt-password-monitor"];
  delete secrets["mqtt-password-mirror-2"];
  const result = evaluate({ stack: "home", fleet: homeFleet, secrets });
  assert.match(result.error?.message ?? "", /^stacks\/Pulumi\.home\.yaml: missing secrets; nothing was changed/);
  // A host's own password is derived when the stack has the key to derive it from: that key is named.
  assert.match(
    result.error!.message,
    /^ {2}pulumi config set --secret --stack home mqtt-passwords-key {3}# mqtt-password-mirror-2 derived from it; or set each itself$/m,
  );
  assert.match(result.error!.message, /^ {2}pulumi config set --secret --stack home mqtt-password-monitor$/m);
  assert.deepEqual(result.registrations, []);
  for (const v of Object.values(secrets)) assert.ok(!result.error!.message.includes(v));
});

/** The home stack's secrets with no host's own MQTT password: each derived from mqtt-passwords-key. */
function derivingSecrets(fleet: unknown): Record<string, string> {
  const secrets: Record<string, string> = {
    ...testSecrets(fleet),
    [mqttPasswordsKeySecret]: "TEST-SECRET-passwords-key-7f3a",
  };
  for (const key of derivedSecretSources(parseFleet(fleet, "test")).keys()) delete secrets[key];
  return secrets;
}

test("a stack that sets mqtt-passwords-key gives every host its own MQTT password, derived, as a secret", () => {
  const secrets = derivingSecrets(homeFleet);
  assert.ok(!("mqtt-password-mirror-1" in secrets) && !("mqtt-password-vega" in secrets));
  const result = evaluate({ stack: "home", fleet: homeFleet, secrets });
  assert.equal(result.error, undefined, result.error?.message);
  const key = secrets[mqttPasswordsKeySecret];
  const derived = (host: string) => derivedSecretValue(key, `mqtt-password-${host}`);
  assert.notEqual(derived("mirror-1"), derived("mirror-2"));
  for (const host of ["lyra", "vega", "mirror-1", "mirror-2"]) {
    const state = named(result.registrations, TYPE.state, `${host}:state`);
    assert.ok(state.secretPaths.includes("secretFiles"), host);
    const secretFiles = JSON.stringify(decoded(state.inputs).secretFiles);
    assert.ok(secretFiles.includes(derived(host)), `${host}'s files hold its derived password`);
    // Neither the key nor another host's password reaches a host.
    assert.ok(!secretFiles.includes(key), host);
    for (const other of ["lyra", "vega", "mirror-1", "mirror-2"].filter((h) => h !== host))
      assert.ok(!secretFiles.includes(derived(other)), `${host} holds no password of ${other}`);
  }
  // The broker's passwd has each derived password's hash; nothing derived is in a plain input.
  const vega = decoded(named(result.registrations, TYPE.state, "vega:state").inputs);
  const passwd = String(vega.secretFiles["/etc/mosquitto/lyra/passwd"].content);
  assert.match(passwd, /^mirror-1:\$7\$/m);
  const values = [key, ...["lyra", "vega", "mirror-1", "mirror-2"].map(derived)];
  for (const r of result.registrations) {
    const plain = JSON.stringify(
      Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !r.secretPaths.includes(k))),
    );
    for (const v of values) assert.ok(!plain.includes(v), `${r.name} shows a secret in a plain input`);
  }
  // A host's password set in the stack wins over the derived one, for that host only.
  const explicit = evaluate({
    stack: "home",
    fleet: homeFleet,
    secrets: { ...secrets, "mqtt-password-mirror-2": "m2-own-password" },
  });
  const files = (host: string) =>
    JSON.stringify(decoded(named(explicit.registrations, TYPE.state, `${host}:state`).inputs).secretFiles);
  assert.ok(files("mirror-2").includes("m2-own-password") && !files("mirror-2").includes(derived("mirror-2")));
  assert.ok(files("mirror-1").includes(derived("mirror-1")));
  // The same key gives the same passwords: a second run is a no-op.
  assert.deepEqual(evaluate({ stack: "home", fleet: homeFleet, secrets }).registrations, result.registrations);
});

test("a short mqtt-passwords-key is refused before anything is registered, without its value", () => {
  const secrets = { ...derivingSecrets(homeFleet), [mqttPasswordsKeySecret]: "short-key" };
  const result = evaluate({ stack: "home", fleet: homeFleet, secrets });
  assert.equal(
    result.error?.message,
    [
      "stacks/Pulumi.home.yaml: secrets that the hosts' programs cannot read; nothing was changed:",
      "  secret 'mqtt-passwords-key' holds 9 characters (expected a random key of at least 16, e.g. from `openssl rand -hex 32`)",
    ].join("\n"),
  );
  assert.deepEqual(result.registrations, []);
});

test("a secret the hosts' programs cannot read fails before anything is registered, named without its value", () => {
  // A config-sync key ssh cannot read once failed the program part way through its registrations.
  const secrets = {
    ...homeSecrets,
    "ups-monitor-password": "base64+pad==",
    "mqtt-password-vega": "two\nlines",
    "config-sync-ssh-key": "not a key",
    "ssh-private-key": "not a key either",
  };
  const result = evaluate({ stack: "home", fleet: homeFleet, secrets });
  assert.equal(
    result.error?.message,
    [
      "stacks/Pulumi.home.yaml: secrets that the hosts' programs cannot read; nothing was changed:",
      "  secret 'config-sync-ssh-key' is not an SSH private key (OpenSSH's format, or an RSA or EC key in PEM): expected an unencrypted OpenSSH private key (ssh-keygen -t ed25519 -N '')",
      "  secret 'mqtt-password-vega' holds a line break (expected one line)",
      `  secret 'ups-monitor-password' holds '=': NUT's upsmon sends it to upsd as one unquoted word, so it may not hold whitespace, '"', '\\', '=' or '#' (a value from \`openssl rand -hex 24\` is always fine)`,
      "  secret 'ssh-private-key' is not an SSH private key (OpenSSH's format, or an RSA or EC key in PEM): expected an unencrypted OpenSSH private key (ssh-keygen -t ed25519 -N '')",
    ].join("\n"),
  );
  assert.deepEqual(result.registrations, []);
});
