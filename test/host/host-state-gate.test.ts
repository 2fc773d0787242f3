/**
 * A HostState's own health gate (a host with no containers): run after each apply and recorded as
 * passed; a failing gate fails the apply naming the host and the check, records the state reached
 * without a passed gate, and the next apply writes nothing more and runs it again; the diff names
 * what of the gate changed; the gate is no item of the host (not in its digest). Against the
 * in-process SSH server, whose commands run on this machine.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, test } from "node:test";
import type { HostConnection } from "../../src/host/transport/connection";
import { hostStateProvider, type HostStateInputs } from "../../src/host/resources/host-state-provider";
import type { HostGate, HostStateOutputs } from "../../src/host/resources/host-state-types";
import { shellQuote } from "../../src/host/transport/shell";
import { type FakeSshServer, startFakeSshServer } from "./support/fake-ssh-server";

let server: FakeSshServer;
let connection: HostConnection;
let dir: string;
const id = "fake-mirror:state";
const meta = { mode: "0644", owner: "root", group: "root" };

/** Passes while the marker file exists; fails as the fleet's gate scripts do, naming the check. */
const gate = (triggers = ["plan-1"]): HostGate => ({
  script: [
    `if [ -e ${shellQuote(join(dir, "healthy"))} ]; then echo "ok: fake-mirror: svc active"; exit 0; fi`,
    `echo "fake-mirror: svc active: still failing after 0 s" >&2`,
    "exit 1",
  ].join("\n"),
  triggers,
  timeoutMs: 30_000,
});

const inputs = (withGate: HostGate | null = gate()): HostStateInputs => ({
  connection,
  packages: [],
  directories: { [dir]: { ...meta, mode: "0755" } },
  files: { [join(dir, "svc.conf")]: { content: "port = 8200\n", ...meta } },
  secretFiles: {},
  units: {},
  artifacts: {},
  ...(withGate && { gate: withGate }),
});

const healthy = (yes: boolean) =>
  yes ? writeFileSync(join(dir, "healthy"), "") : rmSync(join(dir, "healthy"), { force: true });
const differing = async (olds: HostStateOutputs, news: HostStateInputs) =>
  (await hostStateProvider.diff(id, olds, news)).differing;

/** The error an apply that must fail failed with, and the state it carries for the engine. */
const failureOf = (apply: Promise<unknown>) =>
  apply.then(
    () => assert.fail("the apply passed with a failing gate"),
    (err: Error & { properties?: HostStateOutputs }) => err,
  );

before(async () => {
  server = await startFakeSshServer();
  connection = server.connectionAs("fake-mirror");
});

after(async () => {
  await server.close();
});

// Each test's own directory, as a host's: its files, and the marker the gate checks.
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lyra-state-gate-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("a passing gate is run after the apply and recorded; a refresh keeps it; the diff names what of it changed", async () => {
  healthy(true);
  const created = (await hostStateProvider.create(inputs())).outs!;
  assert.deepEqual(created.gate, gate());
  const refreshed = (await hostStateProvider.read(id, created)).props!;
  assert.deepEqual(refreshed.gate, gate(), "the gate is not read from the host: it stays as it passed");
  assert.deepEqual(await differing(refreshed, inputs()), [], "the same gate on an unchanged host is no change");
  assert.deepEqual(await differing(refreshed, inputs(gate(["plan-1", "broker-2"]))), ["health gate: triggers"]);
  assert.deepEqual(await differing(refreshed, inputs({ ...gate(), script: "true" })), ["health gate: script"]);
  assert.deepEqual(await differing(refreshed, inputs({ ...gate(), timeoutMs: 1000 })), ["health gate: deadline"]);
  assert.deepEqual(await differing(refreshed, inputs(null)), ["health gate: not declared"]);

  // Not an item of the host: the same host with no gate has the same digest.
  const without = (await hostStateProvider.update(id, refreshed, inputs(null))).outs!;
  assert.equal(without.gate, undefined);
  assert.equal(without.converged, created.converged);
});

test("a failing gate fails the apply naming the host and the check; the next apply writes nothing more and runs it again", async () => {
  healthy(false);
  const failure = await failureOf(hostStateProvider.create(inputs()));
  assert.match(
    failure.message,
    /^fake-mirror \(root@127\.0\.0\.1:\d+\): health gate failed: fake-mirror: svc active: still failing after 0 s$/,
  );
  // What the apply did is recorded, with no passed gate.
  const reached = failure.properties!;
  assert.ok(reached, "the error carries the state reached");
  assert.equal(reached.gate, undefined);
  assert.equal(readFileSync(join(dir, "svc.conf"), "utf8"), "port = 8200\n");
  const written = reached.files[join(dir, "svc.conf")].writeId;

  const refreshed = (await hostStateProvider.read(id, reached)).props!;
  assert.deepEqual(await differing(refreshed, inputs()), ["health gate: not passed since the host was last applied"]);

  healthy(true);
  const again = (await hostStateProvider.update(id, refreshed, inputs())).outs!;
  assert.deepEqual(again.gate, gate());
  assert.equal(again.files[join(dir, "svc.conf")].writeId, written, "the file was not written again");
  assert.equal(again.converged, reached.converged);
  assert.deepEqual(await differing((await hostStateProvider.read(id, again)).props!, inputs()), []);
});

test("a gate that failed after an apply that wrote nothing keeps the state as it was, and its triggers run it again", async () => {
  healthy(true);
  const created = (await hostStateProvider.create(inputs())).outs!;
  healthy(false);
  const news = inputs(gate(["plan-1", "broker-2"]));
  const failure = await failureOf(hostStateProvider.update(id, created, news));
  assert.match(failure.message, /health gate failed: fake-mirror: svc active/);
  assert.equal(failure.properties?.gate, undefined, "no gate recorded as passed");
  assert.ok(existsSync(join(dir, "svc.conf")));
  assert.deepEqual(await differing(failure.properties!, news), [
    "health gate: not passed since the host was last applied",
  ]);
});

test("check refuses a gate that is not one, naming each field", async () => {
  const check = (g: unknown) => hostStateProvider.check(inputs(null), { ...inputs(null), gate: g as HostGate });
  assert.deepEqual((await check(undefined)).failures, []);
  assert.deepEqual(
    (await check({ script: " ", triggers: ["a", 1], timeoutMs: 0 })).failures!.map((f) => f.property),
    ["gate.script", "gate.triggers", "gate.timeoutMs"],
  );
  assert.deepEqual((await check("true")).failures, [
    { property: "gate", reason: "must be an object with script, triggers and timeoutMs" },
  ]);
});
