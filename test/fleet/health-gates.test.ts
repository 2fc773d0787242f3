/**
 * The health gate's script: what it waits for on a host of the home stack, and what it prints when
 * a check is still failing at its deadline. A timer's service must have run once and succeeded,
 * unless its first run comes later (the nightly backups): a fresh host has no backup yet, and
 * waiting for one would fail every first `pulumi up`. The scripts run in sh against stand-ins for
 * systemctl, journalctl and curl on PATH, which answer as a failing or a healthy host would.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gateScript, hostGateChecks, hostGateScript, type GateChecks } from "../../src/fleet/health-gates";
import { planFleet } from "../../src/render";
import { homeFleet } from "../render/fixtures";

const bin = mkdtempSync(join(tmpdir(), "lyra-gate-bin-"));
after(() => rmSync(bin, { recursive: true, force: true }));

/** Stand-ins for the tools a gate calls: each answers from the environment the test sets. */
function tool(name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}
tool(
  "systemctl",
  [
    'case "$1" in',
    '  is-active) [ "$UNIT_ACTIVE" = yes ] ;;',
    '  show) if [ "$2" = -P ]; then [ "$3" = Result ] && echo "$RESULT" || echo "$EXIT_TIMESTAMP";',
    "        else printf 'ActiveState=failed\\nSubState=failed\\nResult=exit-code\\n'; fi ;;",
    "esac",
  ].join("\n"),
);
tool("journalctl", "echo 'journal line 1'; echo 'journal line 2'");
tool("curl", 'printf %s "$HTTP_CODE"');

const none: GateChecks = { active: [], ran: [], http: [] };
function runGate(checks: Partial<GateChecks>, host: Record<string, string>) {
  const script = gateScript("vega", { ...none, ...checks }, 0);
  const env = {
    PATH: `${bin}:${process.env.PATH}`,
    UNIT_ACTIVE: "no",
    RESULT: "",
    EXIT_TIMESTAMP: "0",
    HTTP_CODE: "000",
  };
  return spawnSync("sh", ["-c", script], { encoding: "utf8", env: { ...env, ...host } });
}

test("the gate waits for each timer's first run, but not for a backup's, which comes later", () => {
  const vega = planFleet(homeFleet()).find((p) => p.host === "vega")!;
  const timers = vega.units.filter((u) => u.name.endsWith(".timer"));
  assert.ok(timers.some((u) => u.name === "lyra-backup-mqtt-broker.timer" && u.firstRunLater));
  assert.ok(timers.some((u) => u.name === "lyra-health.timer" && !u.firstRunLater));

  const { ran } = hostGateChecks(vega);
  assert.ok(ran.includes("lyra-health.service"), ran.join("\n"));
  assert.ok(!ran.some((s) => s.includes("lyra-backup-")), ran.join("\n"));
  assert.equal(ran.length, timers.filter((u) => u.active && !u.firstRunLater).length);
  assert.match(hostGateScript(vega), /^service_ran lyra-health\.service$/m);
});

test("a unit still inactive at its deadline fails naming it, followed by its state and journal, indented", () => {
  const failing = runGate({ active: ["x.service"] }, {});
  assert.equal(failing.status, 1);
  assert.equal(failing.stdout, "");
  assert.equal(
    failing.stderr,
    "vega: x.service active: still failing after 0 s\n" +
      "    ActiveState=failed SubState=failed Result=exit-code \n" +
      "    journal line 1\n    journal line 2\n",
  );
  const passing = runGate({ active: ["x.service"] }, { UNIT_ACTIVE: "yes" });
  assert.equal(passing.status, 0, passing.stderr);
  assert.equal(passing.stdout, "ok: vega: x.service active\n");
});

test("a timer's service passes once it has finished a run that succeeded", () => {
  const notYet = runGate({ ran: ["t.service"] }, { RESULT: "success", EXIT_TIMESTAMP: "0" });
  assert.equal(notYet.status, 1);
  assert.match(notYet.stderr, /^vega: t\.service ran and succeeded: still failing after 0 s\n {4}ActiveState=/);
  const failed = runGate({ ran: ["t.service"] }, { RESULT: "exit-code", EXIT_TIMESTAMP: "123" });
  assert.equal(failed.status, 1);
  const ran = runGate({ ran: ["t.service"] }, { RESULT: "success", EXIT_TIMESTAMP: "123" });
  assert.equal(ran.status, 0, ran.stderr);
  assert.equal(ran.stdout, "ok: vega: t.service ran and succeeded\n");
});

test("an HTTP check passes on its status only, and a failure names it without a unit's cause", () => {
  const http = [{ label: "vega: web's health", url: "http://127.0.0.1:8080/healthz?full=1&x=2", status: 200 }];
  const failing = runGate({ http }, { HTTP_CODE: "503" });
  assert.equal(failing.status, 1);
  assert.equal(failing.stderr, "vega: web's health: still failing after 0 s\n");
  const passing = runGate({ http }, { HTTP_CODE: "200" });
  assert.equal(passing.status, 0, passing.stderr);
  assert.equal(passing.stdout, "ok: vega: web's health\n");
});

test("checks run in turn, and the first still failing ends the gate", () => {
  const run = runGate(
    { active: ["a.service", "b.service"], http: [{ label: "h", url: "http://x/", status: 200 }] },
    {
      UNIT_ACTIVE: "yes",
    },
  );
  assert.equal(run.status, 1);
  assert.equal(run.stdout, "ok: vega: a.service active\nok: vega: b.service active\n");
  assert.equal(run.stderr, "h: still failing after 0 s\n");
});

test("every host's gate is valid sh and waits for each of its long-running units", () => {
  for (const plan of planFleet(homeFleet())) {
    const script = hostGateScript(plan);
    assert.equal(spawnSync("sh", ["-n", "-c", script]).status, 0, `${plan.host}'s gate script is valid sh`);
    const daemons = plan.units.filter((u) => u.active && u.longRunning);
    for (const unit of daemons)
      assert.ok(script.split("\n").includes(`unit_active ${unit.name}`), `${plan.host}: ${unit.name}`);
  }
});
