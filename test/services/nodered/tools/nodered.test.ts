/**
 * The rendered Node-RED service in real Node-RED (the npm devDependency, the version the stack pins)
 * against a real mosquitto: settings.js, flows.json and flows_cred.json as rendered (test secrets,
 * uiPort and the broker address rewritten to loopback), the credentials laid out as systemd's
 * LoadCredential= does and copied into the userDir by the unit's own ExecStartPre command.
 *
 * Proves: Node-RED starts the flows without errors and its MQTT node logs in as `nodered` (within
 * that user's ACL from the model); the editor is read-only; the watchdog publishes a mirror online
 * on its heartbeat and stale, retained, once staleAfterSeconds (5 here) pass without one. Also the
 * unit through systemd-analyze. Every wait has a deadline; every process started is killed by PID.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { connectAsync, type MqttClient } from "mqtt";

import { resolveSecrets, secretKeysIn } from "../../../../src/render/secrets";
import { noderedPaths, render } from "../../../../src/services/nodered/render";
import { watchdogIds } from "../../../../src/services/nodered/flows";
import { fileAt, fragmentOf, homeFleet, unitFile, unitValue } from "../../../render/fixtures";
import { freePort } from "../../../support/free-port";
import { mqttPasswordKey } from "../../../../src/services/mqtt-broker/secrets";
import { noderedCredentialSecretKey } from "../../../../src/services/nodered/secrets";

const root = join(__dirname, "..", "..", "..", "..");
const nobody = 65534; // mosquitto runs unprivileged, as Debian's does.
const staleAfterSeconds = 5;
const fleet = homeFleet((raw) => {
  raw.hosts.lyra.services.nodered = { staleAfterSeconds };
  // The model refuses a heartbeat the stale window cannot see; this test publishes its own beats.
  for (const mirror of ["mirror-1", "mirror-2"])
    raw.hosts[mirror].services = { "mqtt-client": { heartbeatSeconds: 2 } };
});
const fragment = fragmentOf(render, "nodered", fleet, "lyra");
const unit = unitFile(fragment, "nodered.service");
// Awkward characters on purpose: settings.js and flows_cred.json must survive them.
const secrets: Record<string, string> = {
  [mqttPasswordKey("nodered")]: "nr T3st pw 'q' #1",
  [noderedCredentialSecretKey]: 'cs T3st "quoted" \\ secret',
  [mqttPasswordKey("mirror-1")]: "m1-T3st-pw",
  [mqttPasswordKey("monitor")]: "mon-T3st-pw",
};
const password = (user: string) => secrets[mqttPasswordKey(user)];
const dir = mkdtempSync(join(tmpdir(), "lyra-nodered-"));
// The broker's files in a directory of their own that its unprivileged user owns (dir is root's, 0700).
const brokerDir = mkdtempSync(join(tmpdir(), "lyra-nodered-broker-"));
const paths = {
  creds: join(dir, "credentials"),
  userDir: join(dir, "state"),
  etc: join(dir, "etc"),
  broker: brokerDir,
};
let mqttPort = 0;
let uiPort = 0;
const processes: ChildProcess[] = [];
let brokerLog = "";
let noderedLog = "";
const clients: MqttClient[] = [];

function run(command: string, args: string[]) {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 20_000 });
  if (r.error) throw new Error(`${command} could not run: ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Polls `ready` until it holds; fails with `what` and the logs at the deadline or if a process died. */
async function waitFor(what: string, seconds: number, ready: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const dead = processes.find((p) => p.exitCode !== null || p.signalCode !== null);
    if (dead)
      assert.fail(
        `${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}) while waiting for ${what}\n${logs()}`,
      );
    if (await ready()) return;
    await sleep(100);
  }
  assert.fail(`no ${what} within ${seconds} s\n${logs()}`);
}

const logs = () => `--- mosquitto ---\n${brokerLog}\n--- node-red ---\n${noderedLog}`;

function startProcess(
  command: string,
  args: string[],
  options: Parameters<typeof spawn>[2],
  onOutput: (chunk: string) => void,
): ChildProcess {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (c) => onOutput(String(c)));
  child.stderr!.on("data", (c) => onOutput(String(c)));
  processes.push(child);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(child.pid!, "SIGTERM");
  await Promise.race([exited, sleep(5000).then(() => child.exitCode === null && process.kill(child.pid!, "SIGKILL"))]);
  await exited;
}

async function startBroker(): Promise<void> {
  const users = ["nodered", "mirror-1", "monitor"];
  run("mosquitto_passwd", ["-b", "-c", join(paths.broker, "passwd"), users[0], password(users[0])]);
  for (const user of users.slice(1))
    run("mosquitto_passwd", ["-b", join(paths.broker, "passwd"), user, password(user)]);
  // Each user's ACL from the model, so the flow is held to what the nodered user may really do.
  const acl = fleet.mqttUsers
    .filter((u) => users.includes(u.name))
    .flatMap((u) => [
      `user ${u.name}`,
      ...u.subscribe.map((t) => `topic read ${t}`),
      ...u.publish.map((t) => `topic write ${t}`),
      "",
    ]);
  writeFileSync(join(paths.broker, "acl"), acl.join("\n"));
  const conf = [
    `listener ${mqttPort} 127.0.0.1`,
    "allow_anonymous false",
    `password_file ${join(paths.broker, "passwd")}`,
    `acl_file ${join(paths.broker, "acl")}`,
    "persistence false",
    "log_dest stderr",
    "log_type all",
    "connection_messages true",
  ];
  writeFileSync(join(paths.broker, "mosquitto.conf"), conf.join("\n") + "\n");
  for (const name of ["", "passwd", "acl", "mosquitto.conf"]) chownSync(join(paths.broker, name), nobody, nobody);
  startProcess(
    "/usr/sbin/mosquitto",
    ["-c", join(paths.broker, "mosquitto.conf")],
    { uid: nobody, gid: nobody },
    (c) => (brokerLog += c),
  );
  await waitFor("mosquitto listening", 10, () => /Opening ipv4 listen socket on port/.test(brokerLog));
}

/** The rendered files where the unit would see them, with only the ports and the broker moved. */
function layOutNodeRed(): string[] {
  const resolved = (path: string) => resolveSecrets(fileAt(fragment, path).content, secrets);
  // As LoadCredential= does: a private directory, files readable by the service only.
  mkdirSync(paths.creds, { mode: 0o700 });
  writeFileSync(join(paths.creds, "credential-secret"), resolved(noderedPaths.credentialSecret), { mode: 0o400 });
  writeFileSync(join(paths.creds, "flows_cred.json"), resolved(noderedPaths.credentials), { mode: 0o400 });
  mkdirSync(paths.userDir, { mode: 0o700 });
  // The unit's own ExecStartPre, with %d and the state directory moved here.
  const pre = unitValue(unit, "Service", "ExecStartPre")
    .replace("%d", paths.creds)
    .replace(noderedPaths.userDir, paths.userDir)
    .split(" ");
  const copied = run(pre[0], pre.slice(1));
  assert.equal(copied.status, 0, copied.output);

  mkdirSync(paths.etc);
  writeFileSync(join(paths.etc, "settings.js"), resolved(noderedPaths.settings));
  const flows = JSON.parse(resolved(noderedPaths.flows));
  const broker = flows.find((n: { id: string }) => n.id === watchdogIds.broker);
  assert.deepEqual([broker.broker, broker.port], ["vega.home.arpa", "1883"], "rendered for the fleet's broker");
  Object.assign(broker, { broker: "127.0.0.1", port: String(mqttPort) });
  writeFileSync(join(paths.etc, "flows.json"), JSON.stringify(flows, null, 4));
  // Node-RED requires settings.js; this wrapper changes only where it listens and where its files are.
  const wrapper = [
    `const rendered = require(${JSON.stringify(join(paths.etc, "settings.js"))});`,
    `module.exports = { ...rendered, uiHost: "127.0.0.1", uiPort: ${uiPort},`,
    `  userDir: ${JSON.stringify(paths.userDir)}, flowFile: ${JSON.stringify(join(paths.etc, "flows.json"))} };`,
  ];
  writeFileSync(join(paths.etc, "test-settings.js"), wrapper.join("\n") + "\n");

  const execStart = unitValue(unit, "Service", "ExecStart").split(" ");
  assert.deepEqual(execStart, [
    "/usr/bin/node",
    "/opt/lyra/apps/node-red/4.1.8/node_modules/node-red/red.js",
    "--settings",
    noderedPaths.settings,
  ]);
  return [
    join(root, "node_modules/node-red/red.js"),
    "--settings",
    join(paths.etc, "test-settings.js"),
    "--userDir",
    paths.userDir,
  ];
}

async function connect(user: string): Promise<MqttClient> {
  const client = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
    username: user,
    password: password(user),
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  clients.push(client);
  return client;
}

before(async () => {
  mqttPort = await freePort();
  uiPort = await freePort();
  await startBroker();
  const args = layOutNodeRed();
  startProcess(
    process.execPath,
    args,
    { env: { ...process.env, CREDENTIALS_DIRECTORY: paths.creds, HOME: paths.userDir } },
    (c) => (noderedLog += c),
  );
});

after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  for (const p of [...processes].reverse()) await stop(p);
  for (const d of [dir, brokerDir]) rmSync(d, { recursive: true, force: true });
});

test("the rendered files hold tokens, never the test secrets", () => {
  for (const file of fragment.files!) {
    for (const value of Object.values(secrets))
      assert.ok(!file.content.includes(value), `${file.path} holds a secret value`);
  }
  const keys = [...new Set(fragment.files!.flatMap((f) => secretKeysIn(f.content)))].sort();
  assert.deepEqual(keys, [mqttPasswordKey("nodered"), noderedCredentialSecretKey].sort());
});

test("Node-RED starts the flows without errors and logs in to the broker as nodered", { timeout: 60_000 }, async () => {
  await waitFor("'Started flows' in Node-RED's log", 45, () => /\[info\] Started flows/.test(noderedLog));
  await waitFor("the MQTT node's connection", 15, () =>
    noderedLog.includes(`Connected to broker: nodered-lyra@mqtt://127.0.0.1:${mqttPort}`),
  );
  assert.match(brokerLog, /New client connected from 127\.0\.0\.1:\d+ as nodered-lyra \(.*u'nodered'\)/);
  assert.doesNotMatch(noderedLog, /\[error\]/, noderedLog);
  // Only the two warnings the design accepts: projects off, and the fleet's plain flows_cred.json.
  const warnings = noderedLog.split("\n").filter((l) => l.includes("[warn]"));
  const expected = [/Projects disabled/, /Encrypted credentials not found/];
  assert.deepEqual(
    warnings.filter((w) => !expected.some((e) => e.test(w))),
    [],
    noderedLog,
  );
  // The credential secret came from CREDENTIALS_DIRECTORY: the flows' credentials decrypted nothing and failed nothing.
  assert.doesNotMatch(noderedLog, /Error loading credentials|Failed to decrypt/);
});

test("the editor is read-only: flows can be read, a deploy is refused", { timeout: 30_000 }, async () => {
  await waitFor("'Started flows' in Node-RED's log", 45, () => /\[info\] Started flows/.test(noderedLog));
  const base = `http://127.0.0.1:${uiPort}`;
  const read = await fetch(`${base}/flows`, { signal: AbortSignal.timeout(5000) });
  assert.equal(read.status, 200);
  const flows = (await read.json()) as { id: string }[];
  assert.ok(flows.some((n) => n.id === watchdogIds.watchdog));
  const deploy = await fetch(`${base}/flows`, {
    method: "POST",
    headers: { "content-type": "application/json", "Node-RED-Deployment-Type": "full" },
    body: JSON.stringify([]),
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(deploy.status, 401);
  assert.equal(
    (await fetch(`${base}/`, { signal: AbortSignal.timeout(5000) })).status,
    200,
    "the HTTP health check's URL answers",
  );
});

type Status = { at: number; topic: string; status: string; retain: boolean };

test(
  "the watchdog publishes a mirror online on its heartbeat, then stale after staleAfterSeconds of silence",
  { timeout: 60_000 },
  async () => {
    await waitFor("the MQTT node's connection", 45, () => noderedLog.includes("Connected to broker: nodered-lyra@"));
    const seen: Status[] = [];
    const monitor = await connect("monitor");
    monitor.on("message", (topic, payload, packet) =>
      seen.push({ at: Date.now(), topic, status: JSON.parse(String(payload)).status, retain: packet.retain }),
    );
    await monitor.subscribeAsync("lyra/status/#", { qos: 1 });

    const mirror = await connect("mirror-1");
    const started = Date.now();
    let lastBeat = 0;
    for (let i = 0; i < 3; i++) {
      await mirror.publishAsync("lyra/presence/mirror-1", JSON.stringify({ host: "mirror-1", beat: i }), { qos: 1 });
      lastBeat = Date.now();
      await sleep(1000);
    }
    const after = (from: number, topic: string, status: string) =>
      seen.find((s) => s.at >= from && s.topic === topic && s.status === status);
    await waitFor("mirror-1 online", 5, () => after(started, "lyra/status/mirror-1", "online") !== undefined);

    // Silence from here: the stale status must come after the stale time, not before, and not much later.
    await waitFor(
      "mirror-1 stale",
      staleAfterSeconds + 10,
      () => after(lastBeat, "lyra/status/mirror-1", "stale") !== undefined,
    );
    const stale = after(lastBeat, "lyra/status/mirror-1", "stale")!;
    const silentFor = (stale.at - lastBeat) / 1000;
    assert.ok(silentFor >= staleAfterSeconds - 0.5, `stale after only ${silentFor} s of silence`);
    assert.ok(silentFor <= staleAfterSeconds + 4, `stale only after ${silentFor} s of silence`);
    // mirror-2 is declared but never sent a heartbeat: it is stale too (live, or replayed as retained).
    assert.ok(
      seen.some((s) => s.topic === "lyra/status/mirror-2" && s.status === "stale"),
      JSON.stringify(seen),
    );

    // Retained: a UI connecting now learns mirror-1's state at once.
    const late = await connect("monitor");
    const replay = new Promise<{ status: string; retain: boolean }>((resolve) =>
      late.on(
        "message",
        (topic, payload, packet) =>
          topic === "lyra/status/mirror-1" &&
          resolve({ status: JSON.parse(String(payload)).status, retain: packet.retain }),
      ),
    );
    await late.subscribeAsync("lyra/status/mirror-1", { qos: 1 });
    const replayed = await Promise.race([
      replay,
      sleep(5000).then(() => assert.fail("no retained status for mirror-1")),
    ]);
    assert.deepEqual(replayed, { status: "stale", retain: true });
  },
);

test("the unit passes systemd-analyze verify and scores at most 2.0", () => {
  const unitDir = join(dir, "units");
  mkdirSync(unitDir);
  const path = join(unitDir, "nodered.service");
  writeFileSync(path, unit);
  // The unit requires its data set's restore (the backup module's, checked in test/tools): a stand-in here.
  writeFileSync(join(unitDir, "lyra-restore-nodered.service"), "[Service]\nType=oneshot\nExecStart=/bin/true\n");
  const verify = run("systemd-analyze", ["verify", path]);
  assert.equal(verify.status, 0, verify.output);
  assert.equal(verify.output.trim(), "", verify.output);
  const security = run("systemd-analyze", ["security", "--offline=yes", path]);
  const score = /Overall exposure level for nodered\.service: ([\d.]+)/.exec(security.output);
  assert.ok(score, security.output);
  assert.ok(Number(score[1]) <= 2.0, `exposure ${score[1]}:\n${security.output}`);
  assert.ok(readFileSync(path, "utf8").includes("MemoryDenyWriteExecute=no"));
});
