/**
 * The health gate's script: what it waits for on a host of the home stack. A timer's service must
 * have run once and succeeded, unless its first run comes later (the nightly backups): a fresh
 * host has no backup yet, and waiting for one would fail every first `pulumi up`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { hostGateScript } from "../../src/fleet/health-gates";
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
