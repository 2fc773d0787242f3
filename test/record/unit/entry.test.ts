/** The incident entry's text: the day in the site's zone, escaping, and the metrics it reports. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { dayHeader, entryFileName, entrySection, localTime } from "../../../src/record/entry";
import type { JsonOutput } from "../../../src/verify/format";

const verify = (over: Partial<JsonOutput> = {}): JsonOutput => ({
  stack: "home",
  ok: false,
  startedAt: "2026-03-28T23:29:00.000Z",
  finishedAt: "2026-03-28T23:29:41.500Z",
  durationMs: 1500,
  passed: 2,
  failed: 1,
  addressMap: [],
  failingHosts: ["vega"],
  causes: [
    { message: "broker unreachable: vega:1883 (connection refused)", checks: ["vega: mqtt round trip on lyra/test"] },
  ],
  results: [
    {
      host: "lyra",
      name: "lyra: docs site",
      kind: "http",
      ok: true,
      detail: "200",
      latencyMs: 12,
      via: "GET http://10.0.0.1:8001/",
    },
    {
      host: "mirror-1",
      name: "mirror-1: heartbeat on lyra/presence/mirror-1",
      kind: "mqtt-fresh",
      ok: true,
      detail: "message after 2.0 s",
      latencyMs: 2000,
      via: "",
    },
    {
      host: "vega",
      name: "vega: mqtt round trip on lyra/test",
      kind: "mqtt-roundtrip",
      ok: false,
      detail: "broker unreachable: vega:1883 (connection refused)",
      latencyMs: 3,
      via: "",
    },
  ],
  ...over,
});

const now = new Date("2026-03-28T23:30:00Z"); // 00:30 on the 29th in Berlin (CET, +1)

test("the file is named after the day in the site's time zone, not UTC", () => {
  assert.equal(entryFileName(now, "Europe/Berlin"), "2026-03-29-runbook.md");
  assert.equal(entryFileName(now, "America/New_York"), "2026-03-28-runbook.md");
  assert.match(localTime(now, "Europe/Berlin"), /^2026-03-29 00:30:00 (CET|GMT\+1)$/);
  assert.match(
    dayHeader(now, "Europe/Berlin"),
    /^# 2026-03-29: runbook\n\nIncident records of 2026-03-29 \(times in Europe\/Berlin\)/,
  );
});

test("a section: facts, the action escaped, metrics, every check; hosts default to the failing ones", () => {
  const action = "Restarted | the <b>broker</b>\ndocker restart mqtt-broker";
  const s = entrySection({
    stack: "home",
    timezone: "Europe/Berlin",
    action,
    scenario: "broker failure",
    verify: verify(),
    now,
  });
  assert.match(s, /^## 00:30:00 (CET|GMT\+1): Restarted \\\| the &lt;b&gt;broker&lt;\/b&gt;\n/);
  assert.match(s, /- systems affected: `vega`\n/);
  assert.match(s, /- scenario: broker failure\n/);
  assert.match(s, /- verify: 2026-03-29 00:29:00 \S+ to 2026-03-29 00:29:41 \S+\n/);
  assert.match(s, /### What was done\n\nRestarted \\\| the &lt;b&gt;broker&lt;\/b&gt;  \ndocker restart mqtt-broker\n/);
  assert.match(s, /\| result \| \*\*1 of 3 checks failed\*\* \|/);
  assert.match(s, /\| median check latency \| 12 ms \|/);
  assert.match(s, /\| slowest check \| `mirror-1: heartbeat on lyra\/presence\/mirror-1` \(2\.0 s\) \|/);
  assert.match(s, /\| shared cause \| broker unreachable: vega:1883 \(connection refused\) \(1 checks\) \|/);
  assert.match(s, /\| `vega` \| `mqtt round trip on lyra\/test` \| \*\*FAIL\*\*: broker unreachable/);
  assert.match(s, /\| time to recovery \| not measured/);
  assert.match(
    entrySection({ stack: "home", timezone: "UTC", action: "x", hosts: ["lyra", "vega"], verify: verify(), now }),
    /- systems affected: `lyra`, `vega`\n/,
  );
});

test("time to recovery: measured, already healthy, or not recovered", () => {
  const watch = (timeToRecoveryMs: number | null, recovered: boolean) =>
    verify({
      watch: {
        runs: [
          { startedAt: "2026-03-28T23:29:00.000Z", durationMs: 10, passed: 3, failed: 0 },
          { startedAt: "2026-03-28T23:29:30.000Z", durationMs: 10, passed: 3, failed: 0 },
        ],
        recovered,
        timeToRecoveryMs,
        outcome: recovered ? "recovered" : "not recovered within the 300 s deadline",
      },
    });
  const section = (v: JsonOutput) => entrySection({ stack: "home", timezone: "UTC", action: "x", verify: v, now });
  assert.match(section(watch(12_345, true)), /\| time to recovery \| 12\.3 s \(2 verify runs\) \|/);
  assert.match(
    section(watch(null, true)),
    /\| time to recovery \| unknown: every check already passed on the first run \|/,
  );
  assert.match(
    section(watch(null, false)),
    /\| time to recovery \| not recovered: not recovered within the 300 s deadline \|/,
  );
});
