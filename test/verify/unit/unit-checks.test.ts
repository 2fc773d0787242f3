/**
 * The unit and container checks' verdicts, from output shaped as systemd 252's `systemctl show -p
 * ...` and `docker inspect` print it (properties in systemd's own order, not the order asked for).
 * What they must refuse: a unit that never ran (systemd still says Result=success), a timer that
 * never fired, a unit still starting, a container whose healthcheck has not said healthy.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { expectation, manualCommand } from "../../../src/render/docs/checks";
import { containerVerdict } from "../../../src/verify/check-container";
import { parseShow, settledUnitVerdict, unitShowScript, unitVerdict } from "../../../src/verify/check-unit";

const running = `Result=success
ExecMainStartTimestampMonotonic=5123456789
ExecMainExitTimestampMonotonic=0
Id=mqtt-client.service
LoadState=loaded
ActiveState=active
SubState=running
`;

const neverRunOneshot = `Result=success
ExecMainStartTimestampMonotonic=0
ExecMainExitTimestampMonotonic=0
Id=lyra-health.service
LoadState=loaded
ActiveState=inactive
SubState=dead
`;

const ranOneshot = `Result=success
ExecMainStartTimestampMonotonic=7200000000
ExecMainExitTimestampMonotonic=7200412345
Id=lyra-health.service
LoadState=loaded
ActiveState=inactive
SubState=dead
`;

const failedOneshot = ranOneshot
  .replace("Result=success", "Result=exit-code")
  .replace("SubState=dead", "SubState=failed")
  .replace("ActiveState=inactive", "ActiveState=failed");

const timer = (lastTrigger: string) => `Triggers=lyra-health.service
LastTriggerUSecMonotonic=${lastTrigger}
Result=success
Id=lyra-health.timer
LoadState=loaded
ActiveState=active
SubState=waiting
`;

const verdict = (name: string, text: string) => {
  const [unit, triggered] = parseShow(text);
  return unitVerdict(name, unit, triggered);
};

test("a running service, and a oneshot that ran and stays active, pass", () => {
  assert.deepEqual(verdict("mqtt-client.service", running), { ok: true, detail: "active (running)" });
  const accounts = ranOneshot
    .replace("Id=lyra-health.service", "Id=lyra-accounts.service")
    .replace("ActiveState=inactive", "ActiveState=active")
    .replace("SubState=dead", "SubState=exited");
  assert.deepEqual(verdict("lyra-accounts.service", accounts), { ok: true, detail: "active (exited)" });
});

test("a service that never ran fails though systemd says Result=success", () => {
  assert.deepEqual(verdict("lyra-health.service", neverRunOneshot), {
    ok: false,
    detail: "inactive (dead): never started",
  });
  // Active with no main process start on record (a unit only ever loaded, e.g. by a reload): not run.
  const noStart = running.replace("ExecMainStartTimestampMonotonic=5123456789", "ExecMainStartTimestampMonotonic=0");
  assert.deepEqual(verdict("mqtt-client.service", noStart), {
    ok: false,
    detail: "active (running): its main process never started",
  });
});

test("a unit still starting, or restarting after a failure, fails and says which", () => {
  const starting = running
    .replace("ActiveState=active", "ActiveState=activating")
    .replace("SubState=running", "SubState=start");
  assert.deepEqual(verdict("nodered.service", starting), { ok: false, detail: "activating (start): still starting" });
  const restarting = running
    .replace("ActiveState=active", "ActiveState=activating")
    .replace("SubState=running", "SubState=auto-restart");
  assert.deepEqual(verdict("stt-service.service", restarting), {
    ok: false,
    detail: "activating (auto-restart): restarting after a failure",
  });
});

test("a timer must have fired, and its service must have finished a run that succeeded", () => {
  assert.deepEqual(verdict("lyra-health.timer", timer("0")), {
    ok: false,
    detail: "active (waiting): never triggered yet",
  });
  assert.deepEqual(verdict("lyra-health.timer", `${timer("7200000000")}--\n${ranOneshot}`), {
    ok: true,
    detail: "active (waiting), lyra-health.service's last run succeeded",
  });
  assert.deepEqual(verdict("lyra-health.timer", `${timer("7200000000")}--\n${failedOneshot}`), {
    ok: false,
    detail: "active (waiting): lyra-health.service's last run failed (Result=exit-code)",
  });
  // Fired, and its first run is still going: nothing has succeeded yet.
  const firstRun = neverRunOneshot
    .replace("ExecMainStartTimestampMonotonic=0", "ExecMainStartTimestampMonotonic=7200000000")
    .replace("ActiveState=inactive", "ActiveState=activating")
    .replace("SubState=dead", "SubState=start");
  assert.deepEqual(verdict("lyra-health.timer", `${timer("7200000000")}--\n${firstRun}`), {
    ok: false,
    detail: "active (waiting): lyra-health.service has not finished a run yet",
  });
  // A later run in progress, as systemd 252 showed it on the lab's vega: the exit timestamp and
  // Result are cleared for the run, InactiveEnterTimestampMonotonic tells an earlier one ended.
  const laterRun =
    "Id=mqtt-broker-metrics.service\nLoadState=loaded\nActiveState=activating\nSubState=start\nResult=success\nExecMainStartTimestampMonotonic=4609700000\nExecMainExitTimestampMonotonic=0\nInactiveEnterTimestampMonotonic=4609662940\n";
  assert.deepEqual(verdict("mqtt-broker-metrics.timer", `${timer("7200000000")}--\n${laterRun}`), {
    ok: true,
    detail: "active (waiting), mqtt-broker-metrics.service is running now (after an earlier run)",
  });
});

// What systemd 252 showed on a lab host for a timer's oneshot with Restart=on-failure whose first
// run failed: waiting out RestartSec (auto-restart, the failed run's Result kept), then the retry
// (start, Result cleared, NRestarts=1), then the retry's end.
const waitingToRetry = failedOneshot
  .replace("ActiveState=failed", "ActiveState=activating")
  .replace("SubState=failed", "SubState=auto-restart")
  .concat("NRestarts=0\nInactiveEnterTimestampMonotonic=7200412500\n");
const retrying = ranOneshot
  .replace("ActiveState=inactive", "ActiveState=activating")
  .replace("SubState=dead", "SubState=start")
  .replace("ExecMainExitTimestampMonotonic=7200412345", "ExecMainExitTimestampMonotonic=0")
  .concat("NRestarts=1\nInactiveEnterTimestampMonotonic=7203412500\n");
const retried = ranOneshot.concat("NRestarts=1\nInactiveEnterTimestampMonotonic=7205412500\n");

test("a timer's service that failed and that systemd runs again fails as a retry, whatever else the run looks like", () => {
  for (const service of [waitingToRetry, retrying]) {
    assert.deepEqual(verdict("lyra-health.timer", `${timer("7200000000")}--\n${service}`), {
      ok: false,
      detail: "active (waiting): lyra-health.service's last run failed, and systemd is running it again",
      retrying: true,
    });
  }
  assert.deepEqual(verdict("lyra-health.timer", `${timer("7200000000")}--\n${retried}`), {
    ok: true,
    detail: "active (waiting), lyra-health.service's last run succeeded",
  });
});

test("a check reads a retry in progress again until it ends, and reports a retry that has not ended as a failure", async () => {
  const reads = (...services: string[]) => {
    const shown = services.map((s) => `${timer("7200000000")}--\n${s}`);
    return { show: async () => shown.shift() ?? assert.fail("read once too often"), left: () => shown.length };
  };
  const recovering = reads(waitingToRetry, retrying, retried, failedOneshot);
  assert.deepEqual(await settledUnitVerdict("lyra-health.timer", recovering.show), {
    ok: true,
    detail: "active (waiting), lyra-health.service's last run succeeded",
  });
  assert.equal(recovering.left(), 1, "no read after the retry's end");

  const stuck = reads(waitingToRetry, waitingToRetry, waitingToRetry, waitingToRetry, waitingToRetry);
  assert.deepEqual(await settledUnitVerdict("lyra-health.timer", stuck.show, undefined, 2_500), {
    ok: false,
    detail: "active (waiting): lyra-health.service's last run failed, and systemd is running it again",
  });
  assert.ok(stuck.left() >= 2, `gave up at its deadline (${stuck.left()} reads left)`);

  // A failed run that systemd does not retry is the verdict at once.
  const failed = reads(failedOneshot, retried);
  assert.equal((await settledUnitVerdict("lyra-health.timer", failed.show)).ok, false);
  assert.equal(failed.left(), 1);
});

test("a unit the host does not have is named as such", () => {
  const missing =
    "Result=success\nId=nut-driver@lyra-ups.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n";
  assert.deepEqual(verdict("nut-driver@lyra-ups.service", missing), {
    ok: false,
    detail: "inactive (dead): LoadState=not-found, no such unit on the host",
  });
});

test("containers: only running and healthy passes; starting, no healthcheck, or not running fail", () => {
  assert.deepEqual(containerVerdict("running healthy\n"), { ok: true, detail: "running, healthy" });
  assert.deepEqual(containerVerdict("running starting\n"), {
    ok: false,
    detail: "running, starting: its healthcheck has not passed yet",
  });
  assert.deepEqual(containerVerdict("running unhealthy\n"), { ok: false, detail: "running, unhealthy" });
  assert.deepEqual(containerVerdict("running\n"), {
    ok: false,
    detail: "running, no healthcheck: cannot tell whether it works",
  });
  assert.deepEqual(containerVerdict("created\n"), { ok: false, detail: "created" });
  assert.deepEqual(containerVerdict("restarting unhealthy\n"), { ok: false, detail: "restarting, unhealthy" });
});

test("the unit check's script is valid sh and asks for every property the verdict reads", () => {
  execFileSync("sh", ["-n", "-c", unitShowScript]);
  for (const p of [
    "ActiveState",
    "SubState",
    "LoadState",
    "Result",
    "ExecMainStartTimestampMonotonic",
    "ExecMainExitTimestampMonotonic",
    "LastTriggerUSecMonotonic",
    "Triggers",
    "NRestarts",
  ]) {
    assert.match(unitShowScript, new RegExp(`-p [A-Za-z,]*\\b${p}\\b`), p);
  }
});

test("the checks page says what these checks require", () => {
  assert.equal(
    expectation({ kind: "unit", name: "t", unit: "lyra-health.timer" }),
    "`lyra-health.timer` is active, has triggered at least once, and its service has finished a run with `Result=success` (a run that failed and that systemd runs again is waited for, up to 20 s)",
  );
  assert.equal(
    expectation({ kind: "unit", name: "s", unit: "mqtt-client.service" }),
    "`mqtt-client.service` is active (not still starting or restarting) and its main process has started (`ExecMainStartTimestampMonotonic` is set)",
  );
  assert.equal(
    expectation({ kind: "container", name: "c", container: "mqtt-broker" }),
    "container `mqtt-broker` is running and its healthcheck says `healthy` (not `starting`; no healthcheck fails)",
  );
  assert.equal(
    manualCommand({ kind: "unit", name: "t", unit: "lyra-health.timer" }),
    "systemctl list-timers --all lyra-health.timer; systemctl show -p Result,ExecMainExitTimestamp lyra-health.service",
  );
});
