/** The health publisher reports every long-running unit of its host, with credentials off the command line. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadStackFile } from "../../../src/model/load";
import { planFleet } from "../../../src/render";
import { fileAt, unitFile, unitValue, unitValues } from "../../render/fixtures";

const plans = planFleet(loadStackFile("stacks/Pulumi.home.yaml"));

test("lyra-health.service publishes exactly the host's long-running units, every interval, as root without capabilities", () => {
  for (const plan of plans) {
    const execStart = unitValue(unitFile(plan, "lyra-health.service"), "Service", "ExecStart").split(" ");
    assert.deepEqual(execStart.slice(0, 2), ["/usr/local/lib/lyra/lyra-health.sh", plan.host]);
    assert.deepEqual(
      execStart.slice(2),
      plan.units.filter((u) => u.longRunning).map((u) => u.name),
      plan.host,
    );
    const service = unitFile(plan, "lyra-health.service");
    assert.deepEqual(unitValues(service, "Service", "LoadCredential"), [
      "mosquitto_pub:/etc/lyra/health/mosquitto_pub",
    ]);
    assert.equal(unitValue(service, "Service", "CapabilityBoundingSet"), "");
    assert.equal(unitValue(unitFile(plan, "lyra-health.timer"), "Timer", "OnUnitActiveSec"), "30s");
    const credentials = fileAt(plan, "/etc/lyra/health/mosquitto_pub");
    assert.equal(credentials.mode, "0600");
    assert.match(credentials.content, new RegExp(`^-u ${plan.host}$`, "m"));
    assert.match(credentials.content, new RegExp(`^-P @@secret:mqtt-password-${plan.host}@@$`, "m"));
    assert.ok(plan.checks.some((c) => c.kind === "mqtt-fresh" && c.topic === `lyra/health/${plan.host}`));
  }
});
