/**
 * The broker's deploy gate script (what `<broker host>:mqtt-round-trip` runs over SSH) against the
 * rendered broker in Debian's mosquitto: it passes with the monitor's password on stdin, fails
 * naming the topic and port with a wrong one, and the password is never in the script or output.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { planFleet } from "../../../../src/render";
import { brokerOf } from "../../../../src/services/mqtt-broker/placement";
import { mqttRoundTripScript } from "../../../../src/services/mqtt-broker/round-trip-gate";
import { homeFleet } from "../../../render/fixtures";
import { startRenderedBroker, type RenderedBroker } from "../../../support/rendered-broker";

const fleet = homeFleet();
const plan = planFleet(fleet).find((p) => p.host === brokerOf(fleet).host)!;
let broker: RenderedBroker;

before(async () => {
  broker = await startRenderedBroker(plan);
});
after(() => broker?.stop());

function runGate(script: string, stdin: string) {
  const r = spawnSync("sh", ["-c", script], { input: stdin, encoding: "utf8", timeout: 90_000 });
  if (r.error) throw new Error(`sh could not run the gate: ${r.error.message}`);
  return { status: r.status, out: r.stdout, err: r.stderr };
}

test("the plan's gate is this script, for the broker's port, as the monitor on lyra/test; no secret in it", () => {
  const [gate] = plan.mqttRoundTrips;
  assert.equal(gate.script, mqttRoundTripScript(brokerOf(fleet).port, 60, "monitor", "lyra/test"));
  assert.equal(gate.passwordKey, "mqtt-password-monitor");
  assert.doesNotMatch(gate.script, /\{\{secret|password-monitor/);
});

test("with the monitor's password on stdin, the round trip through the rendered ACL passes", () => {
  const r = runGate(mqttRoundTripScript(broker.port, 30, "monitor", "lyra/test"), `${broker.password("monitor")}\n`);
  assert.equal(r.status, 0, r.err);
  assert.equal(r.out.trim(), "ok: MQTT round trip on lyra/test");
  assert.ok(!`${r.out}${r.err}`.includes(broker.password("monitor")), "the password in the gate's output");
});

test("with a wrong password it fails once its time is up, naming the topic and port, not the password", () => {
  const wrong = "not-the-monitor-password";
  const r = runGate(mqttRoundTripScript(broker.port, 1, "monitor", "lyra/test"), `${wrong}\n`);
  assert.equal(r.status, 1);
  // Its last line; mosquitto_pub's refusal comes before it.
  assert.equal(
    r.err.trimEnd().split("\n").at(-1),
    `MQTT round trip on lyra/test (port ${broker.port}): no echo after 1 s`,
  );
  assert.equal(r.out, "");
  assert.ok(!`${r.out}${r.err}`.includes(wrong), "the password in the gate's output");
});
