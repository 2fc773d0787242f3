/**
 * The rendered broker files in the real broker: Debian's /usr/sbin/mosquitto runs the rendered
 * mosquitto.conf, passwd and ACL (test passwords, paths moved to a temp dir, listener on a free
 * loopback port) as an unprivileged user, like the native unit's dynamic user. Clients are Debian's
 * mosquitto_pub/mosquitto_sub and MQTT.js. Also: the monitor options file as the docker healthcheck
 * uses it, the metrics script against the live broker, and the rendered units through systemd-analyze.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { connectAsync, type MqttClient } from "mqtt";

import { registrationTopic, registrationTopics } from "../../../../src/model/topics";
import type { PlanFragment } from "../../../../src/render/plan";
import { resolveSecrets, secretKeysIn } from "../../../../src/render/secrets";
import { render } from "../../../../src/services/mqtt-broker/render";
import { brokerPaths } from "../../../../src/services/mqtt-broker/mosquitto-config";
import { fileAt, fragmentOf, homeFleet, unitFile } from "../../../render/fixtures";
import { nativeHomeFleet } from "../../../render/vega-fixtures";
import { freePort } from "../../../support/free-port";
import { testSecretValues } from "../../../support/test-secrets";
import { mqttPasswordKey } from "../../../../src/services/mqtt-broker/secrets";

const nobody = 65534; // Debian's nobody/nogroup: an unprivileged user, as the unit's DynamicUser is.
const fragment: PlanFragment = fragmentOf(render, "mqtt-broker", nativeHomeFleet(), "vega");
const secrets = testSecretValues([...new Set(fragment.files!.flatMap((f) => secretKeysIn(f.content)))]);
const password = (user: string) => secrets[mqttPasswordKey(user)];
const dir = mkdtempSync(join(tmpdir(), "lyra-mosquitto-"));
const monitorDir = join(dir, "monitor");
let port = 0;
let broker: ChildProcess | undefined;
let brokerLog = "";
const clients: MqttClient[] = [];

/** Replace the value of each `key` line of mosquitto.conf; each key must be there exactly once. */
function rewriteConf(conf: string, values: Record<string, string>): string {
  let out = conf;
  for (const [key, value] of Object.entries(values)) {
    const pattern = new RegExp(`^${key} .*$`, "gm");
    assert.equal(out.match(pattern)?.length, 1, `${key} in the rendered mosquitto.conf`);
    out = out.replace(pattern, `${key} ${value}`);
  }
  return out;
}

function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 20_000, ...options });
  if (r.error) throw new Error(`${command} could not run: ${r.error.message}`);
  return { status: r.status, out: String(r.stdout), err: String(r.stderr) };
}

const pub = (
  user: string | undefined,
  pass: string | undefined,
  topic: string,
  message: string,
  extra: string[] = [],
) =>
  run("mosquitto_pub", [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    ...(user ? ["-u", user, "-P", pass!] : []),
    "-q",
    "1",
    "-t",
    topic,
    "-m",
    message,
    ...extra,
  ]);

/** Runs a command with mosquitto_sub/mosquitto_pub reading the rendered monitor options. */
const asMonitor = (args: string[], options: SpawnSyncOptions = {}) =>
  run("env", [`XDG_CONFIG_HOME=${monitorDir}`, ...args], options);

async function startBroker(): Promise<void> {
  broker = spawn("/usr/sbin/mosquitto", ["-c", join(dir, "mosquitto.conf")], {
    uid: nobody,
    gid: nobody,
    stdio: ["ignore", "ignore", "pipe"],
  });
  broker.stderr!.on("data", (chunk) => (brokerLog += chunk));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (broker.exitCode !== null) assert.fail(`mosquitto exited with ${broker.exitCode}:\n${brokerLog}`);
    if (asMonitor(["mosquitto_sub", "-t", "$SYS/broker/uptime", "-C", "1", "-W", "2"]).status === 0) return;
    await sleep(100);
  }
  assert.fail(`mosquitto did not answer the monitor within 10 s:\n${brokerLog}`);
}

async function stopBroker(): Promise<void> {
  const b = broker;
  if (!b || b.exitCode !== null) return;
  const exited = new Promise((resolve) => b.once("exit", resolve));
  b.kill("SIGTERM");
  await Promise.race([exited, sleep(5000).then(() => b.kill("SIGKILL"))]);
  await exited;
}

async function connect(user?: string, pass?: string): Promise<MqttClient> {
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
    username: user,
    password: pass,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  clients.push(client);
  return client;
}

before(async () => {
  port = await freePort();
  const resolved = (path: string) => resolveSecrets(fileAt(fragment, path).content, secrets);
  const conf = rewriteConf(fileAt(fragment, brokerPaths.conf).content, {
    listener: `${port} 127.0.0.1`,
    password_file: join(dir, "passwd"),
    acl_file: join(dir, "acl"),
    persistence_location: `${join(dir, "data")}/`,
  });
  mkdirSync(join(dir, "data"));
  mkdirSync(monitorDir, { mode: 0o700 });
  writeFileSync(join(dir, "mosquitto.conf"), conf, { mode: 0o644 });
  // As systemd's credential copies: readable by the broker's user only.
  writeFileSync(join(dir, "passwd"), resolved(brokerPaths.passwd), { mode: 0o600 });
  writeFileSync(join(dir, "acl"), resolved(brokerPaths.acl), { mode: 0o600 });
  for (const client of ["mosquitto_sub", "mosquitto_pub"]) {
    const options = resolved(`${brokerPaths.monitorDir}/${client}`).replace(/^-p \d+$/m, `-p ${port}`);
    writeFileSync(join(monitorDir, client), options, { mode: 0o600 });
  }
  for (const path of [dir, join(dir, "data"), join(dir, "passwd"), join(dir, "acl")]) chownSync(path, nobody, nobody);
  await startBroker();
});

after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  await stopBroker();
  rmSync(dir, { recursive: true, force: true });
});

/** Collects messages on `filter` as `user`; the subscription must be granted. */
async function subscriber(
  user: string,
  filter: string,
): Promise<{ messages: { topic: string; payload: string }[]; client: MqttClient }> {
  const client = await connect(user, password(user));
  const messages: { topic: string; payload: string }[] = [];
  client.on("message", (topic, payload) => messages.push({ topic, payload: payload.toString() }));
  const granted = await client.subscribeAsync(filter, { qos: 1 });
  assert.deepEqual(
    granted.map((g) => g.qos),
    [1],
    `${user} may subscribe to ${filter}`,
  );
  return { messages, client };
}

async function waitFor<T>(what: string, check: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test("authenticated clients publish and subscribe: the monitor's round trip on lyra/test, the orchestrator to the monitor", async () => {
  const monitor = await subscriber("monitor", "lyra/#");
  assert.equal(pub("monitor", password("monitor"), "lyra/test", "ping").status, 0);
  assert.equal(pub("orchestrator", password("orchestrator"), "lyra/mirrors/mirror-1/say", "hello").status, 0);
  await waitFor("both messages", () => (monitor.messages.length >= 2 ? true : undefined));
  assert.deepEqual(monitor.messages, [
    { topic: "lyra/test", payload: "ping" },
    { topic: "lyra/mirrors/mirror-1/say", payload: "hello" },
  ]);
});

test("an anonymous client is refused", async () => {
  const r = pub(undefined, undefined, "lyra/test", "anon");
  assert.notEqual(r.status, 0);
  assert.match(r.err, /not authori[sz]ed/i);
  await assert.rejects(connect(), /Not authorized|not authorised/i);
});

test("a wrong password is refused", async () => {
  const r = pub("mirror-1", password("mirror-2"), "lyra/presence/mirror-1", "x");
  assert.notEqual(r.status, 0);
  assert.match(r.err, /not authori[sz]ed/i);
  await assert.rejects(connect("monitor", "wrong"), /Not authorized|not authorised/i);
});

test("mirror-1 cannot publish mirror-2's presence (the monitor never sees it) but publishes its own", async () => {
  const monitor = await subscriber("monitor", "lyra/presence/#");
  // QoS 1: the broker has handled each publish before the next starts, so a forged message that got
  // through would arrive before the genuine one.
  assert.equal(pub("mirror-1", password("mirror-1"), "lyra/presence/mirror-2", "forged").status, 0);
  assert.equal(pub("mirror-1", password("mirror-1"), "lyra/presence/mirror-1", "own").status, 0);
  assert.equal(pub("mirror-2", password("mirror-2"), "lyra/presence/mirror-2", "genuine").status, 0);
  await waitFor("the mirrors' own heartbeats", () => (monitor.messages.length >= 2 ? true : undefined));
  await sleep(200);
  assert.deepEqual(monitor.messages, [
    { topic: "lyra/presence/mirror-1", payload: "own" },
    { topic: "lyra/presence/mirror-2", payload: "genuine" },
  ]);
});

test("registration is per client: mirror-1 cannot register, or will offline, mirror-2 on lyra/clients/online/mirror-2; its own arrive", async () => {
  const online = (client: string) => JSON.stringify({ client, online: true });
  const monitor = await subscriber("monitor", registrationTopics);
  // Forged: mirror-2's registration and last will under mirror-1's credentials, and the old shared
  // topic. QoS 1: the broker has handled each publish before the next starts.
  assert.equal(
    pub(
      "mirror-1",
      password("mirror-1"),
      registrationTopic("mirror-2"),
      JSON.stringify({ client: "mirror-2", online: false }),
      ["-r"],
    ).status,
    0,
  );
  assert.equal(pub("mirror-1", password("mirror-1"), "lyra/clients/online", online("mirror-2"), ["-r"]).status, 0);
  const forger = await connectAsync(`mqtt://127.0.0.1:${port}`, {
    username: "mirror-1",
    password: password("mirror-1"),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    will: {
      topic: registrationTopic("mirror-2"),
      payload: Buffer.from(JSON.stringify({ client: "mirror-2", online: false })),
      qos: 1,
      retain: true,
    },
  }).catch(() => undefined);
  // Dropped without a DISCONNECT, so the broker sends the will if it accepted it.
  forger?.stream.destroy();
  // Genuine: each mirror's own.
  assert.equal(
    pub("mirror-1", password("mirror-1"), registrationTopic("mirror-1"), online("mirror-1"), ["-r"]).status,
    0,
  );
  assert.equal(
    pub("mirror-2", password("mirror-2"), registrationTopic("mirror-2"), online("mirror-2"), ["-r"]).status,
    0,
  );
  await waitFor("both genuine registrations", () => (monitor.messages.length >= 2 ? true : undefined));
  await sleep(500);
  assert.deepEqual(monitor.messages, [
    { topic: registrationTopic("mirror-1"), payload: online("mirror-1") },
    { topic: registrationTopic("mirror-2"), payload: online("mirror-2") },
  ]);
  // What an operator who subscribes later gets: each mirror's own retained registration, nothing else.
  const late = asMonitor(["mosquitto_sub", "-t", registrationTopics, "-v", "-W", "2"]);
  assert.deepEqual(late.out.trim().split("\n").sort(), [
    `${registrationTopic("mirror-1")} ${online("mirror-1")}`,
    `${registrationTopic("mirror-2")} ${online("mirror-2")}`,
  ]);
});

test("mirror-1 cannot send a heartbeat as mirror-2 through its last will either", async () => {
  const monitor = await subscriber("monitor", "lyra/presence/#");
  const forger = await connectAsync(`mqtt://127.0.0.1:${port}`, {
    username: "mirror-1",
    password: password("mirror-1"),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    will: { topic: "lyra/presence/mirror-2", payload: Buffer.from("forged will"), qos: 1, retain: false },
  }).catch(() => undefined);
  forger?.stream.destroy();
  assert.equal(pub("mirror-2", password("mirror-2"), "lyra/presence/mirror-2", "genuine").status, 0);
  await waitFor("mirror-2's own heartbeat", () => (monitor.messages.length >= 1 ? true : undefined));
  await sleep(500);
  assert.deepEqual(monitor.messages, [{ topic: "lyra/presence/mirror-2", payload: "genuine" }]);
});

test("a mirror subscribed to everything receives only what its ACL lets it read", async () => {
  // mosquitto 2.0 grants the wildcard subscription and checks read access per message.
  const client = await connect("mirror-1", password("mirror-1"));
  const messages: string[] = [];
  // Retained registrations (lyra/clients/online/#) are the mirrors' to read; the fresh messages
  // below are the ones this test is about.
  client.on("message", (topic, _payload, packet) => packet.retain || messages.push(topic));
  await client.subscribeAsync("lyra/#", { qos: 1 });
  assert.equal(
    pub("orchestrator", password("orchestrator"), "lyra/mirrors/mirror-2/say", "not for mirror-1").status,
    0,
  );
  assert.equal(pub("orchestrator", password("orchestrator"), "lyra/status/lyra", "not for mirrors").status, 0);
  assert.equal(pub("orchestrator", password("orchestrator"), "lyra/mirrors/mirror-1/say", "for mirror-1").status, 0);
  await waitFor("mirror-1's own message", () => (messages.includes("lyra/mirrors/mirror-1/say") ? true : undefined));
  assert.deepEqual(messages, ["lyra/mirrors/mirror-1/say"]);
});

test("the monitor options file works as the docker healthcheck uses it (no password on the command line)", () => {
  const docker = fragmentOf(render, "mqtt-broker", homeFleet(), "vega");
  const [, , xdg, ...command] = docker.containers![0].healthcheck.test;
  assert.equal(xdg, "XDG_CONFIG_HOME=/mosquitto/config/monitor");
  const r = asMonitor(command);
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /^\d+ seconds\n$/);
  // The control: the same command without the options file is refused.
  const bare = run("env", ["XDG_CONFIG_HOME=/nonexistent", ...command, "-p", String(port)]);
  assert.notEqual(bare.status, 0);
});

test("the metrics script writes valid Prometheus text: broker up, its counters, heartbeats seen live", async () => {
  const script = join(dir, "mqtt-broker-metrics");
  writeFileSync(script, fileAt(fragment, "/usr/local/lib/lyra/mqtt-broker-metrics").content, { mode: 0o755 });
  const state = join(dir, "metrics-state");
  mkdirSync(state);
  const out = join(dir, "mqtt_broker.prom");
  const env = {
    PATH: process.env.PATH,
    XDG_CONFIG_HOME: monitorDir,
    STATE_DIRECTORY: state,
    LYRA_METRICS_FILE: out,
    LYRA_HEARTBEAT_WINDOW: "3",
    LYRA_HEARTBEAT_MIRRORS: "mirror-1 mirror-2",
  };
  // A retained heartbeat from mirror-2 is old news: it must not count as seen.
  assert.equal(pub("mirror-2", password("mirror-2"), "lyra/presence/mirror-2", "stale", ["-r"]).status, 0);
  const started = Math.floor(Date.now() / 1000);
  const child = spawn(script, [], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 30_000;
  while (!done && Date.now() < deadline) {
    pub("mirror-1", password("mirror-1"), "lyra/presence/mirror-1", "alive");
    await sleep(300);
  }
  if (!done) child.kill("SIGKILL");
  assert.equal(await exited, 0, stderr);
  const text = readFileSync(out, "utf8");
  assert.match(text, /^mqtt_broker_up 1$/m);
  assert.match(text, /^mqtt_broker_uptime_seconds \d+$/m);
  assert.match(text, /^mqtt_broker_clients_connected \d+$/m);
  assert.match(text, /^mqtt_broker_messages_received_total \d+$/m);
  const seen = Number(/^lyra_heartbeat_last_seen_timestamp_seconds\{mirror="mirror-1"\} (\d+)$/m.exec(text)?.[1]);
  assert.ok(seen >= started && seen <= Math.ceil(Date.now() / 1000), `mirror-1 last seen ${seen}`);
  assert.match(text, /^lyra_heartbeat_last_seen_timestamp_seconds\{mirror="mirror-2"\} 0$/m);
  const lint = run("promtool", ["check", "metrics"], { input: text });
  assert.equal(lint.status, 0, `${lint.out}${lint.err}`);

  // Broker unreachable: the file still says so (and keeps what was last seen).
  const deadDir = join(dir, "dead");
  mkdirSync(deadDir);
  writeFileSync(
    join(deadDir, "mosquitto_sub"),
    readFileSync(join(monitorDir, "mosquitto_sub"), "utf8").replace(/^-p \d+$/m, `-p ${await freePort()}`),
  );
  const down = run(script, [], { env: { ...env, XDG_CONFIG_HOME: deadDir, LYRA_HEARTBEAT_WINDOW: "1" } });
  assert.equal(down.status, 0, down.err);
  const downText = readFileSync(out, "utf8");
  assert.match(downText, /^mqtt_broker_up 0$/m);
  assert.doesNotMatch(downText, /^mqtt_broker_uptime_seconds/m);
  assert.match(
    downText,
    new RegExp(`^lyra_heartbeat_last_seen_timestamp_seconds\\{mirror="mirror-1"\\} ${seen}$`, "m"),
  );
  assert.equal(run("promtool", ["check", "metrics"], { input: downText }).status, 0);
});

test("retained messages survive a broker restart (persistence in the data directory)", async () => {
  assert.equal(pub("orchestrator", password("orchestrator"), "lyra/status/kept", "yes", ["-r"]).status, 0);
  await stopBroker();
  await startBroker();
  const r = asMonitor(["mosquitto_sub", "-t", "lyra/status/kept", "-C", "1", "-W", "5"]);
  assert.equal(r.status, 0, `${r.err}\n${brokerLog}`);
  assert.equal(r.out, "yes\n");
});

/** `systemd-analyze security` exposure of a unit file. */
function exposure(path: string): number {
  const r = run("systemd-analyze", ["security", "--offline=yes", path]);
  const match = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.out + r.err);
  assert.ok(match, r.out + r.err);
  return Number(match[1]);
}

test("systemd-analyze: the native broker unit and the metrics units verify; exposure at most 2.0", () => {
  const units = join(dir, "units");
  mkdirSync(units);
  for (const name of ["mqtt-broker.service", "mqtt-broker-metrics.service", "mqtt-broker-metrics.timer"]) {
    let content = unitFile(fragment, name);
    // verify checks that ExecStart exists on this machine: point it at the rendered script's copy.
    if (name === "mqtt-broker-metrics.service")
      content = content.replace(
        "ExecStart=/usr/local/lib/lyra/mqtt-broker-metrics",
        `ExecStart=${join(dir, "mqtt-broker-metrics")}`,
      );
    writeFileSync(join(units, name), content);
  }
  writeFileSync(join(dir, "mqtt-broker-metrics"), "#!/bin/sh\n", { mode: 0o755 });
  // The unit requires its data set's restore (the backup module's, checked in test/tools): a stand-in here.
  writeFileSync(join(units, "lyra-restore-mqtt-broker.service"), "[Service]\nType=oneshot\nExecStart=/bin/true\n");
  const verify = run("systemd-analyze", [
    "verify",
    ...["mqtt-broker.service", "mqtt-broker-metrics.service", "mqtt-broker-metrics.timer"].map((n) => join(units, n)),
  ]);
  assert.equal(verify.status, 0, verify.out + verify.err);
  assert.equal(verify.err.trim(), "", "no warnings");
  assert.ok(exposure(join(units, "mqtt-broker.service")) <= 2.0);
  assert.ok(exposure(join(units, "mqtt-broker-metrics.service")) <= 2.0);
});
