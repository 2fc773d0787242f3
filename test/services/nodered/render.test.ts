/**
 * nodered.service, settings.js, flows.json and flows_cred.json. settings.js and the watchdog's
 * function code are run here in a VM (fake fs, fake clock) so their behaviour is checked, not
 * only their text; test/services/nodered/tools/nodered.test.ts runs them in real Node-RED against real mosquitto.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import vm from "node:vm";
import { resolveSecrets } from "../../../src/render/secrets";
import { render } from "../../../src/services/nodered/render";
import { checkIntervalSeconds, watchdogIds } from "../../../src/services/nodered/flows";
import { fileAt, fragmentOf, homeFleet, unitNamed, unitValue, unitValues, type RawFleet } from "../../render/fixtures";

const nodered = (change?: (raw: RawFleet) => void) => fragmentOf(render, "nodered", homeFleet(change), "lyra");
/** A short stale window, with the mirrors' heartbeats shorter still (the model refuses a heartbeat the window cannot see). */
function staleAfter(raw: RawFleet, staleAfterSeconds: number): void {
  raw.hosts.lyra.services.nodered = { staleAfterSeconds };
  for (const mirror of ["mirror-1", "mirror-2"])
    raw.hosts[mirror].services = { "mqtt-client": { heartbeatSeconds: Math.floor(staleAfterSeconds / 2) } };
}
type FlowNode = Record<string, unknown> & { id: string; type: string };
const flowsOf = (fragment: ReturnType<typeof nodered>): FlowNode[] =>
  JSON.parse(fileAt(fragment, "/etc/lyra/nodered/flows.json").content);
const nodeOf = (flows: FlowNode[], id: string) => flows.find((n) => n.id === id)!;

/** Evaluate settings.js as Node-RED would `require` it, with a credentials directory holding `credentials`. */
function loadSettings(source: string, credentials: Record<string, string>): Record<string, any> {
  const dir = "/run/credentials/nodered.service";
  const reads: string[] = [];
  const fakeFs = {
    readFileSync: (path: string) => {
      reads.push(path);
      const name = path.slice(dir.length + 1);
      if (!(name in credentials)) throw new Error(`no credential ${name}`);
      return credentials[name];
    },
  };
  const module = { exports: {} as Record<string, any> };
  const storage = { storage: "fleet-storage.js" };
  const modules: Record<string, unknown> = {
    "node:fs": fakeFs,
    "node:path": require("node:path"),
    "node:crypto": require("node:crypto"),
    "./fleet-storage.js": storage,
  };
  const sandboxRequire = (name: string) => {
    if (!(name in modules)) throw new Error(`settings.js requires ${name}`);
    return modules[name];
  };
  vm.runInNewContext(source, {
    module,
    exports: module.exports,
    require: sandboxRequire,
    process: { env: { CREDENTIALS_DIRECTORY: dir } },
  });
  assert.deepEqual(reads.sort(), [`${dir}/admin-password`, `${dir}/credential-secret`]);
  assert.equal(module.exports.storageModule, storage, "storage is fleet-storage.js, beside settings.js");
  return module.exports;
}

const adminPassword = 'adm "pw" \\ \' x';

test("settings.js is valid JavaScript holding no secret; both secrets come from the credentials directory", () => {
  const file = fileAt(
    nodered((raw) => (raw.hosts.lyra.services.nodered = { port: 1990 })),
    "/etc/lyra/nodered/settings.js",
  );
  assert.doesNotMatch(file.content, /@@secret/);
  assert.equal(file.mode, "0644");
  const tricky = `a "quoted" \\ secret\n`;
  const settings = loadSettings(file.content, { "credential-secret": tricky, "admin-password": adminPassword });
  assert.equal(settings.credentialSecret, tricky);
  assert.equal(settings.uiPort, 1990);
  assert.equal(settings.uiHost, "0.0.0.0");
  assert.equal(settings.userDir, "/var/lib/nodered");
  assert.equal(settings.flowFile, "flows.json", "the editor's flows live in the userDir");
  assert.deepEqual(JSON.parse(JSON.stringify(settings.lyraFleet)), {
    flowFile: "/etc/lyra/nodered/flows.json",
    credentialsFile: "/run/credentials/nodered.service/flows_cred.json",
  });
  assert.equal(settings.externalModules.palette.allowInstall, false);
  assert.equal(settings.externalModules.modules.allowInstall, false);
  assert.equal(settings.functionExternalModules, false);
  assert.equal(settings.editorTheme.projects.enabled, false);
});

test("the editor has one user, admin, with the stack's password; anonymous users get nothing", async () => {
  const file = fileAt(nodered(), "/etc/lyra/nodered/settings.js");
  const { adminAuth } = loadSettings(file.content, { "credential-secret": "k", "admin-password": adminPassword });
  assert.equal(adminAuth.type, "credentials");
  assert.equal("default" in adminAuth, false, "no anonymous permissions");
  const admin = { username: "admin", permissions: "*" };
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v ?? null));
  assert.deepEqual(plain(await adminAuth.authenticate("admin", adminPassword)), admin);
  for (const [user, password] of [
    ["admin", adminPassword.slice(0, -1)],
    ["admin", adminPassword + " "],
    ["admin", ""],
    ["admin", undefined],
    ["Admin", adminPassword],
    ["root", adminPassword],
  ])
    assert.equal(await adminAuth.authenticate(user, password), null, `${user} / ${String(password)?.length}`);
  // Sessions are looked up by user name.
  assert.deepEqual(plain(await adminAuth.users("admin")), admin);
  assert.equal(await adminAuth.users("nobody"), null);
  // The password is compared in constant time, as digests, and kept only as a digest.
  assert.match(file.content, /timingSafeEqual\(sha256\(password\), adminPassword\)/);
});

test("flows.json: the broker is the fleet's, the watchdog subscribes to presence and publishes retained status", () => {
  const flows = flowsOf(
    nodered((raw) => (raw.hosts.vega.services = { "mqtt-broker": { mode: "native", port: 8883 } })),
  );
  assert.deepEqual(new Set(flows.map((n) => n.id)), new Set(Object.values(watchdogIds)));
  const broker = nodeOf(flows, watchdogIds.broker);
  assert.deepEqual(
    [broker.type, broker.broker, broker.port, broker.clientid, broker.protocolVersion],
    ["mqtt-broker", "vega.home.arpa", "8883", "nodered-lyra", "4"],
  );
  assert.equal("credentials" in broker, false, "the login lives in flows_cred.json");
  const presence = nodeOf(flows, watchdogIds.presenceIn);
  assert.deepEqual(
    [presence.type, presence.topic, presence.broker, presence.wires],
    ["mqtt in", "lyra/presence/+", watchdogIds.broker, [[watchdogIds.watchdog]]],
  );
  const out = nodeOf(flows, watchdogIds.statusOut);
  assert.deepEqual([out.type, out.topic, out.retain, out.broker], ["mqtt out", "", "true", watchdogIds.broker]);
  assert.deepEqual(nodeOf(flows, watchdogIds.watchdog).wires, [[watchdogIds.statusOut]]);
  assert.deepEqual(nodeOf(flows, watchdogIds.tick).wires, [[watchdogIds.watchdog]]);
});

test("the check interval is a few seconds, short enough for the stale time", () => {
  assert.equal(checkIntervalSeconds(60), 5);
  assert.equal(checkIntervalSeconds(5), 1);
  assert.equal(checkIntervalSeconds(18), 3);
  const tick = nodeOf(flowsOf(nodered((raw) => staleAfter(raw, 12))), watchdogIds.tick);
  assert.equal(tick.repeat, "2");
});

/** The watchdog function node, run with Node-RED's function-node globals and a clock the test sets. */
function watchdogRunner(staleAfterSeconds: number, change?: (raw: RawFleet) => void) {
  const flows = flowsOf(
    nodered((raw) => {
      staleAfter(raw, staleAfterSeconds);
      change?.(raw);
    }),
  );
  const fn = nodeOf(flows, watchdogIds.watchdog);
  const store = new Map<string, unknown>();
  let now = 1_000_000;
  const sandbox = {
    context: { get: (k: string) => store.get(k), set: (k: string, v: unknown) => store.set(k, v) },
    node: { status: () => {} },
    Date: class extends Date {
      static override now() {
        return now;
      }
    },
  };
  vm.runInNewContext(`(function () {\n${fn.initialize as string}\n})()`, sandbox);
  const send = (
    msg: Record<string, unknown>,
  ): { topic: string; payload: Record<string, unknown>; retain: boolean }[] => {
    const result = vm.runInNewContext(`(function (msg) {\n${fn.func as string}\n})`, sandbox)(msg);
    // Through JSON: arrays made in the VM have another realm's prototype, which deepStrictEqual rejects.
    return result === null ? [] : JSON.parse(JSON.stringify(result[0]));
  };
  return { send, advance: (seconds: number) => (now += seconds * 1000), tick: () => send({ topic: "watchdog/tick" }) };
}

test("the watchdog marks a mirror stale after staleAfterSeconds without heartbeats, and online when it returns", () => {
  const w = watchdogRunner(60);
  const online = w.send({ topic: "lyra/presence/mirror-1", payload: "hb" });
  assert.deepEqual(
    online.map((m) => [m.topic, m.payload.status, m.retain]),
    [["lyra/status/mirror-1", "online", true]],
  );
  assert.deepEqual(w.send({ topic: "lyra/presence/mirror-1", payload: "hb" }), [], "only changes are published");
  w.advance(59);
  // mirror-2 (declared, never heard from) is stale 60 s after the start; mirror-1 heard at the start too.
  assert.deepEqual(w.tick(), []);
  w.advance(1);
  const stale = w.tick();
  assert.deepEqual(
    stale.map((m) => [m.topic, m.payload.status]),
    [
      ["lyra/status/mirror-1", "stale"],
      ["lyra/status/mirror-2", "stale"],
    ],
  );
  assert.equal(stale[0].payload.staleAfterSeconds, 60);
  assert.equal(stale[0].payload.lastSeen, new Date(1_000_000).toISOString());
  assert.equal(stale[1].payload.lastSeen, null);
  assert.deepEqual(w.tick(), [], "a stale mirror is published once");
  const back = w.send({ topic: "lyra/presence/mirror-1", payload: "hb" });
  assert.deepEqual(
    back.map((m) => [m.topic, m.payload.status]),
    [["lyra/status/mirror-1", "online"]],
  );
});

test("a retained (replayed) heartbeat is not a sign of life; an undeclared mirror is tracked once heard", () => {
  const w = watchdogRunner(10);
  assert.deepEqual(w.send({ topic: "lyra/presence/mirror-1", payload: "old", retain: true }), []);
  w.advance(10);
  assert.deepEqual(
    w.tick().map((m) => m.topic),
    ["lyra/status/mirror-1", "lyra/status/mirror-2"],
  );
  assert.deepEqual(
    w.send({ topic: "lyra/presence/mirror-9", payload: "hb" }).map((m) => m.payload.status),
    ["online"],
  );
  w.advance(10);
  assert.deepEqual(
    w.tick().map((m) => [m.topic, m.payload.status]),
    [["lyra/status/mirror-9", "stale"]],
  );
});

test("a mirror named like an inherited property is tracked as any other; a presence topic that names no host is ignored", () => {
  const w = watchdogRunner(10, (raw) => {
    raw.hosts.constructor = raw.hosts["mirror-2"];
    delete raw.hosts["mirror-2"];
  });
  assert.deepEqual(w.send({ topic: "lyra/presence/__proto__", payload: "hb" }), []);
  assert.deepEqual(w.send({ topic: "lyra/presence/Mirror-1", payload: "hb" }), []);
  w.advance(10);
  // Declared and never heard from: stale like mirror-1.
  assert.deepEqual(
    w.tick().map((m) => [m.topic, m.payload.status]),
    [
      ["lyra/status/constructor", "stale"],
      ["lyra/status/mirror-1", "stale"],
    ],
  );
  assert.deepEqual(
    w.send({ topic: "lyra/presence/constructor", payload: "hb" }).map((m) => [m.topic, m.payload.status]),
    [["lyra/status/constructor", "online"]],
  );
  assert.equal(({} as Record<string, unknown>).lastSeen, undefined, "no object gained a lastSeen");
});

test("flows_cred.json holds the nodered user's login as a token, 0600; Node-RED reads it as plain JSON", () => {
  const fragment = nodered();
  const file = fileAt(fragment, "/etc/lyra/nodered/flows_cred.json");
  assert.equal(file.mode, "0600");
  assert.equal(file.owner, "root");
  const password = "nr pw #1 'x' $y";
  assert.doesNotMatch(file.content, new RegExp(password.replace(/[$]/g, "\\$")));
  const creds = JSON.parse(resolveSecrets(file.content, { "mqtt-password-nodered": password }));
  assert.deepEqual(creds, { [watchdogIds.broker]: { user: "nodered", password } });
  const secret = fileAt(fragment, "/etc/lyra/nodered/credential-secret");
  assert.equal(secret.mode, "0600");
  assert.equal(resolveSecrets(secret.content, { "nodered-credential-secret": "k" }), "k");
});

test("the unit runs Debian's node on the pinned install, loads its three credentials and relaxes only W^X", () => {
  const unit = unitNamed(nodered(), "nodered.service");
  const content = unit.content!;
  assert.equal(
    unitValue(content, "Service", "ExecStart"),
    "/usr/bin/node /opt/lyra/apps/node-red/4.1.8/node_modules/node-red/red.js --settings /etc/lyra/nodered/settings.js",
  );
  assert.deepEqual(unitValues(content, "Service", "LoadCredential"), [
    "credential-secret:/etc/lyra/nodered/credential-secret",
    "admin-password:/etc/lyra/nodered/admin-password",
    "flows_cred.json:/etc/lyra/nodered/flows_cred.json",
  ]);
  // Nothing is copied into the userDir any more: it holds only what the editor deployed.
  assert.deepEqual(unitValues(content, "Service", "ExecStartPre"), []);
  assert.equal(unitValue(content, "Service", "StateDirectory"), "nodered");
  assert.equal(unitValue(content, "Service", "DynamicUser"), "yes");
  assert.equal(unitValue(content, "Service", "MemoryDenyWriteExecute"), "no");
  assert.equal(unitValue(content, "Service", "PrivateDevices"), "yes");
  assert.equal(unitValue(content, "Service", "ProtectSystem"), "strict");
  assert.match(unitValue(content, "Unit", "Description"), /Node-RED 4\.1\.8/);
  assert.doesNotMatch(content, /@@secret/);
  assert.deepEqual(unit.after, [{ kind: "container", label: "vega/broker", host: "vega", container: "mqtt-broker" }]);
});

test("checks and recovery: the editor over HTTP, the pinned install and the runbook's commands", () => {
  const fragment = nodered((raw) => {
    raw.hosts.lyra.services.nodered = { port: 1990 };
    raw.versions["node-red"] = "4.1.9";
  });
  assert.deepEqual(fragment.checks!.slice(0, 3), [
    {
      kind: "command",
      name: "lyra: node-red 4.1.9 installed",
      command: `grep -qx '${"0".repeat(64)} 4.1.9' /opt/lyra/apps/node-red/4.1.9/.lyra-artifact`,
    },
    { kind: "unit", name: "lyra: nodered.service active", unit: "nodered.service" },
    { kind: "http", name: "lyra: Node-RED editor", url: "http://lyra.home.arpa:1990/", expectStatus: 200 },
  ]);
  assert.deepEqual(
    fragment.artifacts!.map((a) => [a.key, a.version, a.installDir, a.postInstall, a.restarts]),
    [["node-red", "4.1.9", "/opt/lyra/apps/node-red/4.1.9", "", ["nodered.service"]]],
  );
  const commands = fragment.recovery![0].commands;
  assert.equal(commands[0], "systemctl restart nodered");
  assert.ok(!commands.some((c) => c.includes("npm install")), "pulumi up installs the release, not the operator");
  assert.ok(commands.includes(`grep '"version"' /opt/lyra/apps/node-red/4.1.9/node_modules/node-red/package.json`));
  assert.ok(
    fragment.packages!.includes("nodejs") && !fragment.packages!.includes("npm"),
    "the runtime only: npm is an install-time tool",
  );
  assert.deepEqual(fragment.ports, [{ port: 1990, protocol: "tcp", service: "nodered" }]);
});
