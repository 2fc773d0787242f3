/**
 * A sample of generated valid stacks (test/support/stack-arbitrary.ts, the valid side) in the real
 * programs: the broker host's rendered mosquitto.conf, passwd and ACL start Debian's mosquitto and
 * let the monitor read through the ACL, and every host's rendered units pass `systemd-analyze verify`.
 * The unit layer (test/model/stack-property.test.ts) covers the broken side and many more stacks.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { FleetModel } from "../../src/model/fleet";
import { parseFleet } from "../../src/model/load";
import { planFleet } from "../../src/render";
import { startRenderedBroker } from "../support/rendered-broker";
import { applyEdits, stackEdits, type Edit } from "../support/stack-arbitrary";
import { verifyHostUnits } from "../support/systemd-verify";
import { brokerOf } from "../../src/services/mqtt-broker/placement";

/** Each stack costs a broker start and a verify per host (about 1 s each): a few, always the same ones. */
const sampleSize = 5;

function accepted(edits: Edit[]): FleetModel | undefined {
  try {
    return parseFleet(applyEdits(edits), "stacks/Pulumi.generated.yaml");
  } catch {
    return undefined;
  }
}

const sample = fc
  .sample(stackEdits(false), { numRuns: 50, seed: 4242 })
  .map((edits) => ({ edits, fleet: accepted(edits) }))
  .filter((s): s is { edits: Edit[]; fleet: FleetModel } => s.fleet !== undefined)
  .slice(0, sampleSize);

test(`the sample holds ${sampleSize} accepted stacks`, () => assert.equal(sample.length, sampleSize));

for (const [i, { edits, fleet }] of sample.entries()) {
  const what = edits.map((e) => `${e.path.join(".")}=${JSON.stringify(e.value)}`).join(", ");
  test(`generated stack ${i + 1} (${what}): mosquitto starts with its config and ACL; its units pass systemd-analyze verify`, async () => {
    const plans = planFleet(fleet);
    const broker = await startRenderedBroker(plans.find((p) => p.host === brokerOf(fleet).host)!);
    await broker.stop();
    const failures = plans.map((plan) => [plan.host, verifyHostUnits(plan)]).filter(([, out]) => out !== "");
    assert.deepEqual(failures, []);
  });
}
