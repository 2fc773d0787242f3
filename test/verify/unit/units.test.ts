/** verify's pure parts: where a URL is reached, the watch loop's arithmetic, and payload parsing. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadStackFile } from "../../../src/model/load";
import { parseRegistration } from "../../../src/verify/check-mqtt-registered";
import { payloadTime } from "../../../src/verify/check-mqtt-fresh";
import { addressMap, reachableUrl } from "../../../src/verify/reach";
import { groupCauses } from "../../../src/verify/run";
import type { CheckResult, RunReport } from "../../../src/verify/types";
import { watchUntilGreen } from "../../../src/verify/watch";

const fleet = loadStackFile(join(__dirname, "..", "..", "..", "stacks", "Pulumi.home.yaml"));

test("check URLs are reached at the host's stack address, not its fqdn; localhost means the check's own host", () => {
  assert.equal(reachableUrl(fleet, "lyra", "http://lyra.home.arpa:8000/healthz"), "http://192.168.1.10:8000/healthz");
  assert.equal(reachableUrl(fleet, "lyra", "http://vega.home.arpa:9090/-/ready"), "http://192.168.1.11:9090/-/ready");
  assert.equal(reachableUrl(fleet, "vega", "http://localhost:9100/metrics"), "http://192.168.1.11:9100/metrics");
  assert.equal(reachableUrl(fleet, "vega", "http://example.org/x"), "http://example.org/x");
  assert.deepEqual(addressMap(fleet)[0], { host: "lyra", fqdn: "lyra.home.arpa", address: "192.168.1.10" });
});

const report = (failed: number, results: Partial<CheckResult>[] = []): RunReport => ({
  startedAt: new Date().toISOString(),
  durationMs: 5,
  passed: 3 - failed,
  failed,
  causes: [],
  results: results as CheckResult[],
});

test("--watch: time to recovery runs from the first run to the first green one; green at once is unknown, not zero", async () => {
  const sequence = [
    report(2, [
      { host: "vega", ok: false },
      { host: "mirror-1", ok: false },
    ]),
    report(1, [{ host: "vega", ok: false }]),
    report(0),
  ];
  const started = Date.now();
  const w = await watchUntilGreen(async () => sequence.shift()!, { deadlineMs: 10_000, intervalMs: 50 });
  assert.equal(w.recovered, true);
  assert.equal(w.runs.length, 3);
  assert.ok(w.timeToRecoveryMs! >= 100 && w.timeToRecoveryMs! <= Date.now() - started, `${w.timeToRecoveryMs}`);
  assert.deepEqual(w.failingHosts, ["mirror-1", "vega"]);
  assert.match(w.outcome, /^recovered after \d+\.\d s \(3 runs\)$/);

  const green = await watchUntilGreen(async () => report(0), { deadlineMs: 10_000, intervalMs: 50 });
  assert.equal(green.timeToRecoveryMs, null);
  assert.equal(green.outcome, "every check passed on the first run");

  const never = await watchUntilGreen(async () => report(1, [{ host: "vega", ok: false }]), {
    deadlineMs: 300,
    intervalMs: 100,
  });
  assert.equal(never.recovered, false);
  assert.match(never.outcome, /^not recovered within the 0.3 s deadline \(\d runs, 1 checks still failing\)$/);
});

test("failures that share a cause are grouped under it, once", () => {
  const broker = { kind: "broker" as const, message: "broker unreachable: vega:1883 (connection refused)" };
  const results = [
    { name: "a", ok: false, cause: broker },
    { name: "b", ok: false, cause: broker },
    { name: "c", ok: false },
    { name: "d", ok: true },
  ] as CheckResult[];
  assert.deepEqual(groupCauses(results), [{ message: broker.message, checks: ["a", "b"] }]);
});

test("payloads: the heartbeat's and health's `time`, the registration's client and state", () => {
  assert.equal(
    payloadTime(Buffer.from('{"client":"mirror-1","online":true,"seq":3,"time":1764296000,"heartbeatSeconds":15}')),
    1764296000,
  );
  assert.equal(payloadTime(Buffer.from('{"time":1764296000123}')), 1764296000.123);
  assert.equal(payloadTime(Buffer.from("not json")), undefined);
  assert.deepEqual(parseRegistration(Buffer.from('{"client":"mirror-2","online":false}')), {
    client: "mirror-2",
    online: false,
  });
  assert.equal(parseRegistration(Buffer.from('{"client":"mirror-2"}')), undefined);
});
