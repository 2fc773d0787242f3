/**
 * The health gate's script: what it waits for on a host of the home stack. A timer's service must
 * have run once and succeeded, unless its first run comes later (the nightly backups): a fresh
 * host has no backup yet, and waiting for one would fail every first `pulumi up`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { hostGateScript, pollScript, unitCause } from "../../src/fleet/health-gates";
import { planFleet } from "../../src/render";
import { homeFleet } from "../render/fixtures";

const waitedFor = (script: string) =>
  [...script.matchAll(/'([^']+): still failing after/g)].map((m) => m[1]).filter((l) => l.includes("ran and"));

test("the gate waits for each timer's first run, but not for a backup's, which comes later", () => {
  const vega = planFleet(homeFleet()).find((p) => p.host === "vega")!;
  const timers = vega.units.filter((u) => u.name.endsWith(".timer"));
  assert.ok(timers.some((u) => u.name === "lyra-backup-mqtt-broker.timer" && u.firstRunLater));
  assert.ok(timers.some((u) => u.name === "lyra-health.timer" && !u.firstRunLater));

  const labels = waitedFor(hostGateScript(vega));
  assert.ok(labels.includes("vega: lyra-health.service ran and succeeded"), labels.join("\n"));
  assert.ok(!labels.some((l) => l.includes("lyra-backup-")), labels.join("\n"));
  assert.equal(labels.length, timers.filter((u) => u.active && !u.firstRunLater).length);
});

test("a check still failing at its deadline fails naming it, followed by its cause, indented", () => {
  const script = pollScript("vega: x.service active", "false", 0, "echo 'Result=exit-code'; echo 'line 2' >&2");
  const run = spawnSync("sh", ["-c", script], { encoding: "utf8" });
  assert.equal(run.status, 1);
  assert.equal(run.stdout, "");
  assert.equal(run.stderr, "vega: x.service active: still failing after 0 s\n    Result=exit-code\n    line 2\n");
  const passing = spawnSync("sh", ["-c", pollScript("vega: y", "true", 0, "echo never")], { encoding: "utf8" });
  assert.equal(passing.status, 0);
  assert.equal(passing.stdout, "ok: vega: y\n");
});

test("the cause of a failing unit is its state and its last journal lines", () => {
  const vega = planFleet(homeFleet()).find((p) => p.host === "vega")!;
  const script = hostGateScript(vega);
  assert.ok(script.includes(unitCause("lyra-health.service")), "a timer's service names its cause");
  const daemons = vega.units.filter((u) => u.active && u.longRunning);
  assert.ok(daemons.length > 0);
  for (const unit of daemons) assert.ok(script.includes(unitCause(unit.name)), `${unit.name} names its cause`);
  assert.equal(spawnSync("sh", ["-n", "-c", script]).status, 0, "the gate script is valid sh");
  assert.match(unitCause("x.service"), /systemctl show -p ActiveState -p SubState -p Result x\.service/);
  assert.match(unitCause("x.service"), /journalctl -u x\.service -n 5 --no-pager/);
});
