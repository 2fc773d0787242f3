/**
 * Every service a timer runs, on every host of the home and lab stacks, runs again after a failed
 * run (`retriedOnFailure`): a brief failure (the broker restarting, a start systemd failed with
 * status=219/CGROUP) is retried in seconds, not an interval or a day later, and verify reads the
 * retry's result.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadStackFile } from "../../src/model/load";
import { planFleet } from "../../src/render";
import { unitFile, unitValue, unitValues } from "./fixtures";

/** systemd.time(5) spans as our renderers write them: "5s", "1min", "30". */
function seconds(span: string): number {
  const match = /^(\d+)(s|min)?$/.exec(span);
  assert.ok(match, `a span this test reads: ${span}`);
  return Number(match[1]) * (match[2] === "min" ? 60 : 1);
}

test("every timer's service is retried after a failed run, no sooner than the start limit allows", () => {
  const seen: string[] = [];
  for (const stack of ["home", "lab"]) {
    for (const plan of planFleet(loadStackFile(`stacks/Pulumi.${stack}.yaml`))) {
      for (const timer of plan.units.filter((u) => u.name.endsWith(".timer"))) {
        const service =
          unitValues(unitFile(plan, timer.name), "Timer", "Unit")[0] ?? timer.name.replace(/\.timer$/, ".service");
        const content = unitFile(plan, service);
        const where = `${stack}/${plan.host} ${service}`;
        assert.equal(unitValue(content, "Service", "Type"), "oneshot", where);
        assert.equal(unitValue(content, "Service", "Restart"), "on-failure", where);
        // 5 starts in 10 s is systemd's default start limit; a limit reached would stop the retries.
        assert.ok(seconds(unitValue(content, "Service", "RestartSec")) >= 3, where);
        seen.push(service);
      }
    }
  }
  // The class this covers: the health publisher, the broker's metrics, config sync and backups.
  for (const service of ["lyra-health.service", "mqtt-broker-metrics.service", "lyra-config-sync.service"])
    assert.ok(seen.includes(service), `${service} among the timers' services: ${[...new Set(seen)].join(" ")}`);
  assert.ok(
    seen.some((s) => s.startsWith("lyra-backup-")),
    "a backup among the timers' services",
  );
});
