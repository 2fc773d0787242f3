/**
 * `npm run verify` against a real mosquitto on a loopback address, the mirrors' real mqtt-client.sh
 * and real health publications. Nothing MQTT is faked: the broker is stopped and started by PID, the
 * mirror is killed like a power cut (its last will fires), and verify runs as the CLI a user runs.
 * SSH checks meet loopback addresses where no sshd listens (the lab tests run them for real).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { planFleet } from "../../../src/render";
import type { JsonOutput } from "../../../src/verify/format";
import type { TestBroker } from "../support/broker";
import { root, runCli, type CliRun } from "../support/cli";
import type { MirrorClient } from "../support/clients";
import { startLiveFleet, type LiveFleet } from "../support/live-fleet";
import { addresses, type TestStack } from "../support/stack";

let scratch: string | undefined;
let live: LiveFleet | undefined;
let stack: TestStack;
let broker: TestBroker;
let mirror: MirrorClient;
let identity: string;
let env: NodeJS.ProcessEnv;

const mqttKinds = new Set(["mqtt-roundtrip", "mqtt-fresh", "mqtt-registered"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function verify(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCli("verify", ["--stack-file", stack.file, ...args], { ...env, ...extraEnv });
}

function json(run: CliRun): JsonOutput {
  try {
    return JSON.parse(run.stdout) as JsonOutput;
  } catch {
    throw new Error(`verify printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

function result(out: JsonOutput, name: string) {
  const r = out.results.find((x) => x.name === name);
  assert.ok(r, `no result for '${name}' in ${out.results.map((x) => x.name).join(", ")}`);
  return r;
}

/** No secret value (password, private key) anywhere in what verify printed. */
function assertNoSecrets(run: CliRun): void {
  const printed = run.stdout + run.stderr;
  for (const [user, password] of Object.entries(stack.passwords))
    assert.ok(!printed.includes(password), `password of ${user} printed`);
  const key = readFileSync(identity, "utf8");
  for (const line of key.split("\n").filter((l) => l.length > 20))
    assert.ok(!printed.includes(line), "private key printed");
}

/** Waits until the broker holds mirror-1's retained registration and a health message per host. */
async function settle(): Promise<void> {
  const end = Date.now() + 20_000;
  for (;;) {
    const run = await verify(["--only", "mqtt", "--json", "--stale-after", "5"]);
    if (run.code === 0) return;
    if (Date.now() > end)
      assert.fail(`the MQTT checks did not settle:\n${run.stdout}\n${run.stderr}\n${mirror.log.join("")}`);
    await sleep(500);
  }
}

describe("verify against a real mosquitto", { timeout: 5 * 60_000 }, () => {
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), "lyra-verify-"));
    live = await startLiveFleet(scratch);
    ({ stack, broker, mirror, identity, env } = live);
    await settle();
  });

  after(async () => {
    await live?.stop();
    // The stack's passwords and an SSH private key.
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("every MQTT check passes: round trip on lyra/test, health of every host, heartbeat and registration", async () => {
    const run = await verify(["--only", "mqtt", "--json"]);
    const out = json(run);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(out.failed, 0);
    const roundTrip = result(out, "vega: mqtt round trip on lyra/test");
    assert.ok(roundTrip.ok && /^echoed in \d+ ms$/.test(roundTrip.detail), roundTrip.detail);
    assert.equal(roundTrip.via, `mqtt ${addresses.vega}:${stack.brokerPort} lyra/test`);
    assert.match(result(out, "mirror-1: heartbeat on lyra/presence/mirror-1").detail, /^message after/);
    assert.equal(
      result(out, "mirror-1: registered on lyra/clients/online/mirror-1").detail,
      "retained registration, online",
    );
    for (const host of ["lyra", "mirror-1", "vega"])
      assert.match(result(out, `${host}: health published`).detail, /^retained, \d+ s old$/);
    // The set verify ran is the plans' MQTT checks, no more, no less.
    const planned = planFleet(stack.fleet).flatMap((p) =>
      p.checks.filter((c) => mqttKinds.has(c.kind)).map((c) => c.name),
    );
    assert.deepEqual(out.results.map((r) => r.name).sort(), planned.sort());
    assertNoSecrets(run);
  });

  test("the lyra-verify bin runs the same command (package.json bin, through tsx)", async () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { bin: Record<string, string> };
    const run = spawnSync(
      process.execPath,
      [join(root, pkg.bin["lyra-verify"]), "--stack-file", stack.file, "--only", "mqtt-roundtrip"],
      {
        cwd: root,
        encoding: "utf8",
        env: { PATH: process.env.PATH, ...env },
        timeout: 60_000,
      },
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^vega {2}mqtt round trip on lyra\/test +\d+ ms {2}pass {2}echoed in \d+ ms$/m);
  });

  test("a wrong monitor password is named as a refused login, and the password is not printed", async () => {
    const run = await verify(["--only", "mqtt-roundtrip"], { LYRA_SECRET_MQTT_PASSWORD_MONITOR: "wrong-Password-42" });
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      new RegExp(
        `broker refused the login: vega:${stack.brokerPort} \\(not authorized; check the mqtt-password-monitor secret\\)`,
      ),
    );
    assert.ok(!run.stdout.includes("wrong-Password-42") && !run.stderr.includes("wrong-Password-42"));
  });

  test("a mirror whose heartbeat stops is named stale once the window passes", async () => {
    await mirror.kill(); // a power cut: no clean disconnect, so the broker publishes its last will
    // Started again whatever this test finds: the tests after it need the mirror back.
    try {
      const run = await verify(["--only", "mqtt", "--json", "--stale-after", "3"]);
      const out = json(run);
      assert.equal(run.code, 1);
      const heartbeat = result(out, "mirror-1: heartbeat on lyra/presence/mirror-1");
      assert.equal(heartbeat.ok, false);
      assert.equal(heartbeat.detail, "stale: no message on lyra/presence/mirror-1 within 3 s");
      // Named stale only once its 3 s window has passed: the check's own wait, against its window.
      assert.ok(heartbeat.latencyMs >= 3000, `${heartbeat.latencyMs} ms`);
      console.log(`# stale mirror named after ${heartbeat.latencyMs} ms (window 3 s); verify run ${run.ms} ms`);
      assert.match(
        result(out, "mirror-1: registered on lyra/clients/online/mirror-1").detail,
        /^offline: its last will/,
      );
      // Everything else still passes: the stale mirror is the only thing named.
      assert.deepEqual(
        out.results.filter((r) => !r.ok).map((r) => r.host),
        ["mirror-1", "mirror-1"],
      );
    } finally {
      mirror.start();
      await settle();
    }
  });

  test("broker stopped: verify fails on the refused connection, naming the broker and every check that depends on it", async () => {
    await broker.stop();
    const run = await verify(["--identity", identity, "--timeout", "3"]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    console.log(`# broker stopped: full verify failed in ${run.ms} ms (CLI start included)`);
    const cause = `broker unreachable: vega:${stack.brokerPort} (connection refused)`;
    const mqttChecks = planFleet(stack.fleet).flatMap((p) =>
      p.checks.filter((c) => mqttKinds.has(c.kind)).map((c) => c.name),
    );
    const line = run.stdout.split("\n").find((l) => l.includes(`${cause}; ${mqttChecks.length} checks depend on it: `));
    assert.ok(line, `no summary line naming the broker:\n${run.stdout}`);
    for (const name of mqttChecks) assert.ok(line.includes(name), `${name} not named as depending on the broker`);
    assertNoSecrets(run);
  });

  test("started again: --watch turns green and reports the time to recovery", async () => {
    assert.equal(broker.running, false, "the previous test leaves the broker stopped");
    const watching = verify(["--only", "mqtt", "--watch", "--deadline", "90", "--json"]);
    const downFor = 3000;
    await sleep(downFor);
    await broker.start(); // the mirror's client reconnects by itself, as its unit restarts it
    const run = await watching;
    const out = json(run);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(out.watch, "no watch report");
    assert.equal(out.watch.recovered, true);
    assert.ok(out.watch.runs.length >= 2, `${out.watch.runs.length} runs`);
    assert.ok(out.watch.runs[0].failed > 0);
    const ttr = out.watch.timeToRecoveryMs!;
    // The recovery time covers the outage verify watched (the broker was down for downFor after it started).
    assert.ok(ttr >= downFor - 1000, `time to recovery ${ttr} ms`);
    assert.match(out.watch.outcome, /^recovered after \d+\.\d s \(\d+ runs\)$/);
    console.log(
      `# broker down ${downFor} ms before restart; verify --watch: time to recovery ${ttr} ms in ${out.watch.runs.length} runs`,
    );
  });

  test("an unreachable host is named by its refused connection, and every other check still runs", async () => {
    await settle();
    const run = await verify(["--identity", identity, "--timeout", "2", "--json"]);
    const out = json(run);
    assert.equal(run.code, 1);
    const all = planFleet(stack.fleet).flatMap((p) => p.checks.map((c) => c.name));
    assert.deepEqual(
      out.results.map((r) => r.name),
      all,
      "every planned check has a result",
    );
    const unreachable = `host unreachable: lyra (root@${addresses.lyra}:22): cannot reach sshd (ECONNREFUSED)`;
    const lyraCause = out.causes.find((c) => c.message === unreachable);
    assert.ok(lyraCause, `lyra not named: ${JSON.stringify(out.causes)}`);
    const lyraSsh = out.results.filter((r) => r.host === "lyra" && ["unit", "command", "container"].includes(r.kind));
    assert.deepEqual(lyraCause.checks.sort(), lyraSsh.map((r) => r.name).sort());
    // The broker is up: every MQTT check, lyra's health included, still ran and passed.
    for (const r of out.results.filter((x) => mqttKinds.has(x.kind))) assert.ok(r.ok, `${r.name}: ${r.detail}`);
    console.log(`# unreachable lyra: ${out.results.length} checks in ${run.ms} ms`);
    assertNoSecrets(run);
  });

  test("a host that accepts TCP but never answers SSH costs one timeout, not one per check", async () => {
    // A hung host: sshd's port is open, nothing ever speaks (a wedged machine, a half-dead NAT).
    const sockets = new Set<Socket>();
    let accepted = 0;
    const silent: Server = createServer((s) => (accepted++, sockets.add(s)));
    await new Promise<void>((r) => silent.listen(22, addresses.lyra, r));
    try {
      const run = await verify(["--identity", identity, "--timeout", "2", "--json", "--host", "lyra", "--only", "ssh"]);
      const out = json(run);
      assert.equal(run.code, 1);
      assert.ok(out.results.length >= 3);
      for (const r of out.results)
        assert.match(r.detail, /^host unreachable: lyra \(root@127\.0\.0\.64:22\): no SSH answer within 2 s/);
      // One connection, given up at its deadline, answers every SSH check of the host.
      assert.equal(accepted, 1, `${accepted} connections to the hung sshd`);
      console.log(`# hung sshd on lyra: ${out.results.length} SSH checks failed in ${run.ms} ms (timeout 2 s)`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
