/**
 * The rendered mqtt-client.sh for real: /bin/sh (dash) runs the exact rendered script against
 * Debian's mosquitto on a free loopback port, running the broker host's rendered mosquitto.conf,
 * passwd and ACL (test/support/rendered-broker.ts). The script gets the rendered settings file (broker moved to
 * 127.0.0.1:<port>, nothing else changed unless a test says so) and the rendered credentials file,
 * resolved with test passwords, as $XDG_CONFIG_HOME/mosquitto_pub: what systemd hands the unit.
 * Every broker and client gets a deadline and is killed by PID (clients by their process group).
 * The script's `sleep` is a recording wrapper around the real one: the tests count the heartbeat
 * clock's pauses (how long each is, how many ended) instead of reading a clock.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { connectAsync, type MqttClient } from "mqtt";
import { type FleetModel } from "../../../../src/model/fleet";
import { planFleet } from "../../../../src/render";
import { resolveSecrets } from "../../../../src/render/secrets";
import { brokerOf } from "../../../../src/services/mqtt-broker/placement";
import {
  mqttClientConfigDir,
  mqttClientEnvPath,
  mqttClientScriptPath,
  render,
} from "../../../../src/services/mqtt-client/render";
import { envEntries, fileAt, fragmentOf } from "../../../render/fixtures";
import { withMirrorSetting } from "../../../render/mirror-fixtures";
import { startRenderedBroker, type RenderedBroker } from "../../../support/rendered-broker";
import { testSecretValues } from "../../../support/test-secrets";
import { mqttPasswordKey } from "../../../../src/services/mqtt-broker/secrets";

const dir = mkdtempSync(join(tmpdir(), "lyra-mqtt-client-"));
const secrets = testSecretValues([mqttPasswordKey("mirror-1"), mqttPasswordKey("monitor")]);
const password = (user: string) => secrets[mqttPasswordKey(user)];
const brokers = new Set<RenderedBroker>();
const clients = new Set<ChildProcess>();
const subscribers = new Set<MqttClient>();

after(async () => {
  for (const s of subscribers) await s.endAsync(true).catch(() => {});
  for (const c of clients) killGroup(c);
  for (const b of brokers) await b.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor<T>(
  what: string,
  seconds: number,
  probe: () => T | undefined,
  context: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${seconds} s\n${context()}`);
    await sleep(50);
  }
}

// ---- the broker: the plan's own mosquitto.conf, passwd and ACL (test/support/rendered-broker.ts) ----

async function startBroker(fleet: FleetModel): Promise<RenderedBroker> {
  const broker = await startRenderedBroker(planFleet(fleet).find((p) => p.host === brokerOf(fleet).host)!);
  brokers.add(broker);
  return broker;
}

// ---- the monitor: MQTT.js, subscribed before the client starts ----

interface Seen {
  topic: string;
  json: Record<string, unknown>;
  retained: boolean;
  /** The heartbeat clock's pauses that had ended when the message arrived (see `pausesDone`). */
  pausesDone: number;
}

async function monitor(broker: RenderedBroker, topics: string[], pausesDone: () => number = () => 0): Promise<Seen[]> {
  const seen: Seen[] = [];
  const client = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
    username: "monitor",
    password: password("monitor"),
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  subscribers.add(client);
  client.on("message", (topic, payload, packet) =>
    seen.push({ topic, json: JSON.parse(payload.toString()), retained: packet.retain, pausesDone: pausesDone() }),
  );
  await client.subscribeAsync(topics, { qos: 1 });
  return seen;
}

// ---- the client: the rendered script, settings and credentials ----

interface Client {
  process: ChildProcess;
  log: () => string;
  exit: Promise<number | null>;
  /** The argument of every pause the script's heartbeat clock began (`sleep N`), in order. */
  pauses: () => string[];
  /** How many of those pauses ran to their end (tick k of the clock comes after k - 1 of them). */
  pausesDone: () => number;
}

/**
 * A `sleep` for the script's PATH that records each pause ("start N", then "end" if it was not
 * stopped) around the real /usr/bin/sleep, and passes a stop on to it.
 */
function recordingSleep(log: string): string {
  return `#!/bin/sh
echo "start $*" >>'${log}'
/usr/bin/sleep "$@" &
nap=$!
trap 'kill "$nap" 2>/dev/null; exit 143' TERM
wait "$nap"
echo end >>'${log}'
`;
}

function startClient(
  fleet: FleetModel,
  broker: RenderedBroker,
  overrides: Record<string, string> = {},
  password = secrets,
): Client {
  const fragment = fragmentOf(render, "mqtt-client", fleet, "mirror-1");
  const home = mkdtempSync(join(dir, "client-"));
  const credentials = join(home, "credentials");
  mkdirSync(credentials, { mode: 0o700 });
  writeFileSync(
    join(credentials, "mosquitto_pub"),
    resolveSecrets(fileAt(fragment, `${mqttClientConfigDir}/mosquitto_pub`).content, password),
    { mode: 0o600 },
  );
  const script = join(home, "mqtt-client.sh");
  writeFileSync(script, fileAt(fragment, mqttClientScriptPath).content, { mode: 0o755 });
  mkdirSync(join(home, "run"), { mode: 0o700 });
  const bin = join(home, "bin");
  mkdirSync(bin);
  const sleepLog = join(home, "sleeps.log");
  writeFileSync(join(bin, "sleep"), recordingSleep(sleepLog), { mode: 0o755 });
  const sleeps = () => (existsSync(sleepLog) ? readFileSync(sleepLog, "utf8").split("\n").filter(Boolean) : []);
  const env = {
    PATH: `${bin}:/usr/bin:/bin`,
    ...envEntries(fileAt(fragment, mqttClientEnvPath).content),
    MQTT_HOST: "127.0.0.1",
    MQTT_PORT: String(broker.port),
    RUNTIME_DIRECTORY: join(home, "run"),
    XDG_CONFIG_HOME: credentials,
    ...overrides,
  };
  // Its own process group, as under systemd: killing the group is killing the unit's cgroup.
  const child = spawn("/bin/sh", [script], { env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  clients.add(child);
  let log = "";
  child.stderr!.on("data", (chunk) => (log += chunk));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    process: child,
    log: () => log,
    exit,
    pauses: () => sleeps().flatMap((line) => (line.startsWith("start ") ? [line.slice(6)] : [])),
    pausesDone: () => sleeps().filter((line) => line === "end").length,
  };
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // already gone
  }
}

function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

const registrations = (seen: Seen[]) => seen.filter((s) => s.topic === "lyra/clients/online/mirror-1");
const heartbeats = (seen: Seen[]) => seen.filter((s) => s.topic === "lyra/presence/mirror-1");
const everyTwoSeconds = withMirrorSetting("mqtt-client", { heartbeatSeconds: 2 });

before(() => {
  assert.match(realpathSync("/bin/sh"), /dash$/, "/bin/sh is dash, as on Debian");
});

test("registers on lyra/clients/online/mirror-1, then heartbeats on lyra/presence/mirror-1 every heartbeatSeconds, not retained", async () => {
  const broker = await startBroker(everyTwoSeconds);
  const seen = await monitor(broker, ["lyra/clients/online/mirror-1", "lyra/presence/mirror-1"]);
  const client = startClient(everyTwoSeconds, broker);
  const context = () => `client log:\n${client.log()}\nbroker log:\n${broker.log()}`;

  const [registration] = await waitFor(
    "a registration",
    10,
    () => (registrations(seen).length > 0 ? registrations(seen) : undefined),
    context,
  );
  assert.deepEqual(registration.json, {
    client: "mirror-1",
    online: true,
    presence: "lyra/presence/mirror-1",
    heartbeatSeconds: 2,
  });

  const beats = await waitFor(
    "four heartbeats",
    15,
    () => (heartbeats(seen).length >= 4 ? heartbeats(seen).slice(0, 4) : undefined),
    context,
  );
  beats.forEach((b, i) => {
    assert.equal(b.json.client, "mirror-1");
    assert.equal(b.json.online, true);
    assert.equal(b.json.seq, (beats[0].json.seq as number) + i, "consecutive sequence numbers");
    assert.equal(b.retained, false);
  });
  // Between heartbeats the clock pauses heartbeatSeconds: one `sleep 2` after each, and no other pause.
  const pauses = client.pauses();
  assert.ok(pauses.length >= beats.length - 1, `${pauses.length} pauses for ${beats.length} heartbeats`);
  assert.deepEqual([...new Set(pauses)], ["2"], `the clock's pauses: ${pauses.join(", ")}`);
  assert.equal(registrations(seen).length, 1, "one registration per connection until the 30 s refresh");

  // A subscriber that comes later gets the retained registration, and no stale heartbeat.
  const late = await monitor(broker, ["lyra/clients/online/mirror-1", "lyra/presence/mirror-1"]);
  await waitFor("the retained registration", 5, () => registrations(late).find((s) => s.retained));
  assert.equal(registrations(late)[0].json.online, true);
  assert.ok(!heartbeats(late).some((s) => s.retained), "a heartbeat was retained");
  assert.equal(client.process.exitCode, null, `the client exited:\n${context()}`);
  killGroup(client.process);
});

test("a connected mirror repeats its registration every REGISTRATION_SECONDS (4 s here: every 2nd heartbeat)", async () => {
  const broker = await startBroker(everyTwoSeconds);
  let client: Client | undefined = undefined;
  // A registration is published right after its tick, well before the clock's next 2 s pause ends:
  // the pauses ended when it arrives say which tick sent it.
  const seen = await monitor(broker, ["lyra/clients/online/mirror-1"], () => client?.pausesDone() ?? 0);
  client = startClient(everyTwoSeconds, broker, { REGISTRATION_SECONDS: "4" });
  const regs = await waitFor(
    "three registrations",
    15,
    () => (registrations(seen).length >= 3 ? registrations(seen) : undefined),
    client.log,
  );
  for (let i = 1; i < 3; i++) assert.equal(regs[i].json.online, true);
  // The first repeat counts from the registration at CONNACK, which may come before or after the
  // first tick; from then on every REGISTRATION_SECONDS / heartbeatSeconds = 2 ticks.
  const ticks = regs.map((r) => r.pausesDone);
  assert.equal(ticks[2] - ticks[1], 2, `registrations after pause ${ticks.join(", ")}`);
  assert.deepEqual([...new Set(client.pauses())], ["2"]);
  killGroup(client.process);
});

test("SIGKILL: the broker publishes the last will, retained: the mirror is offline", async () => {
  const broker = await startBroker(everyTwoSeconds);
  const seen = await monitor(broker, ["lyra/clients/online/mirror-1"]);
  const client = startClient(everyTwoSeconds, broker);
  await waitFor("a registration", 10, () => registrations(seen).length > 0, client.log);
  killGroup(client.process);
  const will = await waitFor(
    "the last will",
    5,
    () => registrations(seen).find((s) => s.json.online === false),
    broker.log,
  );
  assert.deepEqual(will.json, { client: "mirror-1", online: false });
  const late = await monitor(broker, ["lyra/clients/online/mirror-1"]);
  const retained = await waitFor("the retained message", 5, () => registrations(late).find((s) => s.retained));
  assert.deepEqual(retained.json, { client: "mirror-1", online: false });
});

test("the broker restarts: the script exits non-zero (systemd restarts it) and leaves no process behind", async () => {
  const broker = await startBroker(everyTwoSeconds);
  const seen = await monitor(broker, ["lyra/presence/mirror-1"]);
  const client = startClient(everyTwoSeconds, broker);
  await waitFor("a heartbeat", 10, () => heartbeats(seen).length > 0, client.log);
  await broker.halt();
  await broker.start();
  const code = await Promise.race([client.exit, sleep(15_000).then(() => "still running")]);
  assert.notEqual(
    code,
    "still running",
    `the script did not exit within 15 s of the broker's restart:\n${client.log()}`,
  );
  assert.notEqual(code, 0);
  assert.match(client.log(), /connection to 127\.0\.0\.1:\d+ lost|no PUBACK/);
  await waitFor("the script's children are gone", 3, () => !groupAlive(client.process), client.log);
});

test("the broker stays away: the script exits within three heartbeat intervals instead of waiting for it", async () => {
  const fleet = withMirrorSetting("mqtt-client", { heartbeatSeconds: 1 });
  const broker = await startBroker(fleet);
  const seen = await monitor(broker, ["lyra/presence/mirror-1"]);
  const client = startClient(fleet, broker);
  await waitFor("a heartbeat", 10, () => heartbeats(seen).length > 0, client.log);
  await broker.halt();
  const pausesAtHalt = client.pausesDone();
  const code = await Promise.race([client.exit, sleep(10_000).then(() => "still running")]);
  assert.notEqual(code, "still running", `the script still runs 10 s after the broker went away:\n${client.log()}`);
  assert.notEqual(code, 0);
  // Given up for the right reason, at the latest on the third tick after the broker went away
  // (two heartbeats without a PUBACK), not by waiting for TCP or a keepalive.
  assert.match(client.log(), /no PUBACK from 127\.0\.0\.1:\d+ for two heartbeat intervals/);
  const pausesUntilExit = client.pausesDone() - pausesAtHalt;
  assert.ok(pausesUntilExit <= 3, `${pausesUntilExit} heartbeat intervals between the broker's halt and the exit`);
  await waitFor("the script's children are gone", 3, () => !groupAlive(client.process), client.log);
});

test("a wrong password: the broker refuses, the script says so and exits", async () => {
  const broker = await startBroker(everyTwoSeconds);
  const wrong = { ...secrets, [mqttPasswordKey("mirror-1")]: "not-the-password" };
  const client = startClient(everyTwoSeconds, broker, {}, wrong);
  const code = await Promise.race([client.exit, sleep(10_000).then(() => "still running")]);
  assert.notEqual(code, "still running", client.log());
  assert.notEqual(code, 0);
  assert.match(client.log(), /the broker refused the connection/);
  assert.doesNotMatch(client.log(), /not-the-password/);
});
