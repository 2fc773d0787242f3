/**
 * Lab: SystemdUnit on a real systemd (lyra), driven like the engine drives it: start, drift
 * (stopped, disabled, hand-edited), restart exactly once per change, timers, failures with the
 * journal, packaged units with a drop-in, and delete.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HostConnection } from "../../src/host/transport/connection";
import { hostCounters, resetHostCounters } from "../../src/host/transport/counters";
import { isHostError } from "../../src/host/transport/errors";
import { fileProvider } from "../../src/host/resources/file-provider";
import { systemdUnitProvider } from "../../src/host/resources/systemd-unit-provider";
import { applyLikeEngine, applyStack, destroyStack, FullProvider, refresh, StackResource } from "./support/engine";
import { fileInputs, unitInputs } from "./support/inputs";
import { type Lab, labHostFixture, onHost } from "./support/lab";

const HOST = "lyra";
const PREFIX = "lyra-host-test";
const files = fileProvider as FullProvider;
const units = systemdUnitProvider as FullProvider;
let lab: Lab;
let connection: HostConnection;

const workerUnit = (extra = "") => `[Unit]
Description=lyra-host test worker
[Service]
ExecStart=/bin/sh -c 'cat /etc/${PREFIX}/worker.conf >/dev/null; exec sleep infinity'
${extra}
[Install]
WantedBy=multi-user.target
`;

const CLEANUP = `for u in $(cd /etc/systemd/system && ls -d ${PREFIX}-* 2>/dev/null) ${PREFIX}-packaged.service; do
  systemctl disable --now "\${u%.d}" 2>/dev/null || true
done
rm -rf /etc/systemd/system/${PREFIX}-* /usr/lib/systemd/system/${PREFIX}-* /etc/${PREFIX} /run/${PREFIX}-*
systemctl daemon-reload; systemctl reset-failed 2>/dev/null || true`;

async function mainPid(name: string): Promise<string> {
  return (await onHost(lab, HOST, `systemctl show -p MainPID --value ${name}`)).trim();
}

labHostFixture(HOST, CLEANUP, (l, c) => {
  lab = l;
  connection = c;
});

describe(`lab: SystemdUnit on ${HOST}`, () => {
  let configContent = "mode = a\n";
  let unitContent = workerUnit();
  const config: StackResource = {
    label: "config",
    provider: files,
    desired: () => fileInputs(connection, `/etc/${PREFIX}/worker.conf`, configContent),
  };
  const worker: StackResource = {
    label: "worker",
    provider: units,
    desired: () =>
      unitInputs(connection, `${PREFIX}-worker.service`, unitContent, {
        triggers: [String(config.state?.outs.sha256)],
      }),
  };
  const stack = [config, worker];

  it("writes, enables and starts a unit; a second apply writes nothing", async () => {
    resetHostCounters();
    const first = await applyStack(stack);
    assert.equal(first.worker.action, "create");
    assert.equal(
      await onHost(lab, HOST, `systemctl is-active ${PREFIX}-worker; systemctl is-enabled ${PREFIX}-worker`),
      "active\nenabled\n",
    );
    assert.deepEqual([hostCounters(HOST).unitStarts, hostCounters(HOST).unitRestarts], [1, 0]);
    resetHostCounters();
    const second = await applyStack(stack);
    assert.deepEqual([second.config.action, second.worker.action], ["same", "same"]);
    assert.deepEqual([hostCounters(HOST).remoteCommands, hostCounters(HOST).remoteWrites], [2, 0]);
  });

  it("starts a unit stopped by hand, without counting a restart", async () => {
    await onHost(lab, HOST, `systemctl stop ${PREFIX}-worker`);
    const refreshed = await refresh(units, worker.state!);
    assert.deepEqual([refreshed?.outs.active, refreshed?.outs.activeState], [false, "inactive"]);
    resetHostCounters();
    const outcome = await applyStack(stack);
    assert.deepEqual(outcome.worker.differing, ["active"]);
    assert.deepEqual([hostCounters(HOST).unitStarts, hostCounters(HOST).unitRestarts], [1, 0]);
    assert.equal(await onHost(lab, HOST, `systemctl is-active ${PREFIX}-worker`), "active\n");
  });

  it("enables a unit disabled by hand without restarting it", async () => {
    const pid = await mainPid(`${PREFIX}-worker`);
    await onHost(lab, HOST, `systemctl disable ${PREFIX}-worker`);
    resetHostCounters();
    const outcome = await applyStack(stack);
    assert.deepEqual(outcome.worker.differing, ["enabled"]);
    assert.equal(await onHost(lab, HOST, `systemctl is-enabled ${PREFIX}-worker`), "enabled\n");
    assert.equal(hostCounters(HOST).unitRestarts, 0);
    assert.equal(await mainPid(`${PREFIX}-worker`), pid);
  });

  it("rewrites a hand-edited unit file, reloads systemd and restarts the unit exactly once", async () => {
    const pid = await mainPid(`${PREFIX}-worker`);
    await onHost(lab, HOST, `echo '# edited by hand' >> /etc/systemd/system/${PREFIX}-worker.service`);
    resetHostCounters();
    const outcome = await applyStack(stack);
    assert.ok(outcome.worker.differing.includes("content"), outcome.worker.differing.join());
    assert.equal(hostCounters(HOST).unitRestarts, 1);
    assert.notEqual(await mainPid(`${PREFIX}-worker`), pid);
    assert.doesNotMatch(await onHost(lab, HOST, `cat /etc/systemd/system/${PREFIX}-worker.service`), /edited by hand/);
    assert.equal((await onHost(lab, HOST, `systemctl show -p NeedDaemonReload --value ${PREFIX}-worker`)).trim(), "no");
  });

  it("restarts exactly once when a trigger changes, and once when the unit and a trigger change together", async () => {
    configContent = "mode = b\n";
    resetHostCounters();
    let outcome = await applyStack(stack);
    assert.deepEqual([outcome.config.action, outcome.worker.differing], ["update", ["triggers"]]);
    assert.equal(hostCounters(HOST).unitRestarts, 1);

    configContent = "mode = c\n";
    unitContent = workerUnit("Environment=LEVEL=2");
    const pid = await mainPid(`${PREFIX}-worker`);
    resetHostCounters();
    outcome = await applyStack(stack);
    assert.deepEqual(outcome.worker.differing, ["content", "triggers"]);
    assert.equal(hostCounters(HOST).unitRestarts, 1);
    assert.notEqual(await mainPid(`${PREFIX}-worker`), pid);
    assert.match(await onHost(lab, HOST, `systemctl show -p Environment --value ${PREFIX}-worker`), /LEVEL=2/);
  });

  it("manages a timer: started, left waiting, repaired when stopped; its oneshot service is left alone", async () => {
    const timerStack: StackResource[] = [
      {
        label: "service",
        provider: units,
        desired: () =>
          unitInputs(connection, `${PREFIX}-tick.service`, "[Service]\nType=oneshot\nExecStart=/bin/true\n", {
            enabled: false,
            active: false,
          }),
      },
      {
        label: "timer",
        provider: units,
        desired: () =>
          unitInputs(
            connection,
            `${PREFIX}-tick.timer`,
            "[Timer]\nOnBootSec=1h\nOnUnitActiveSec=1h\n[Install]\nWantedBy=timers.target\n",
          ),
      },
    ];
    await applyStack(timerStack);
    assert.equal(
      await onHost(lab, HOST, `systemctl show -p ActiveState -p SubState --value ${PREFIX}-tick.timer`),
      "active\nwaiting\n",
    );
    resetHostCounters();
    const again = await applyStack(timerStack);
    assert.deepEqual([again.service.action, again.timer.action, hostCounters(HOST).remoteWrites], ["same", "same", 0]);
    await onHost(lab, HOST, `systemctl stop ${PREFIX}-tick.timer`);
    const repaired = await applyStack(timerStack);
    assert.deepEqual([repaired.service.action, repaired.timer.differing], ["same", ["active"]]);
    assert.equal(await onHost(lab, HOST, `systemctl is-active ${PREFIX}-tick.timer`), "active\n");
    await destroyStack(timerStack);
  });

  it("waits through a first start that fails: systemd's Restart= or one more start recovers it", async () => {
    const flakyStart = (flag: string) =>
      `ExecStart=/bin/sh -c 'if [ ! -e /run/${flag} ]; then touch /run/${flag}; exit 219; fi; exec sleep infinity'`;
    resetHostCounters();
    const selfHealing = await applyLikeEngine(
      units,
      undefined,
      unitInputs(
        connection,
        `${PREFIX}-flaky-a.service`,
        `[Service]\n${flakyStart(`${PREFIX}-a`)}\nRestart=on-failure\nRestartSec=1\n`,
      ),
    );
    assert.equal(hostCounters(HOST).unitStartRetries, 0, "systemd's own Restart= did it");
    const retried = await applyLikeEngine(
      units,
      undefined,
      unitInputs(connection, `${PREFIX}-flaky-b.service`, `[Service]\n${flakyStart(`${PREFIX}-b`)}\n`),
    );
    assert.equal(hostCounters(HOST).unitStartRetries, 1);
    assert.equal(
      await onHost(lab, HOST, `systemctl is-active ${PREFIX}-flaky-a ${PREFIX}-flaky-b`),
      "active\nactive\n",
    );
    await units.delete(selfHealing.state.id, selfHealing.state.outs);
    await units.delete(retried.state.id, retried.state.outs);
  });

  it(
    "reports a unit that never becomes active with its name, the host and the last journal lines",
    { timeout: 120_000 },
    async () => {
      const failing = unitInputs(
        connection,
        `${PREFIX}-broken.service`,
        "[Service]\nExecStart=/bin/sh -c 'echo broken-on-purpose >&2; exit 3'\n",
        { startTimeoutSeconds: 5 },
      );
      await assert.rejects(applyLikeEngine(units, undefined, failing), (error) => {
        assert.ok(isHostError(error));
        assert.equal(error.kind, "unit-failed");
        assert.match(
          error.message,
          new RegExp(
            `^lyra \\(deploy@127\\.0\\.0\\.11:22\\): ${PREFIX}-broken\\.service did not become active \\(failed twice \\(start and one retry\\), given up without waiting: .*ActiveState=failed.*; waited at most 5 s\\)`,
          ),
        );
        assert.match(error.message, /Last journal lines:[\s\S]*broken-on-purpose/);
        return true;
      });
    },
  );

  it("manages a packaged unit through a drop-in, and delete leaves the package's file", async () => {
    await onHost(
      lab,
      HOST,
      `printf '[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n' > /usr/lib/systemd/system/${PREFIX}-packaged.service && systemctl daemon-reload`,
    );
    const desired = unitInputs(connection, `${PREFIX}-packaged.service`, null, {
      dropIn: "[Service]\nEnvironment=FROM_DROP_IN=1\n",
    });
    const { state } = await applyLikeEngine(units, undefined, desired);
    assert.match(
      await onHost(
        lab,
        HOST,
        `systemctl show -p Environment --value ${PREFIX}-packaged; systemctl is-active ${PREFIX}-packaged`,
      ),
      /FROM_DROP_IN=1\nactive/,
    );
    resetHostCounters();
    assert.equal((await applyLikeEngine(units, state, desired)).action, "same");
    assert.equal(hostCounters(HOST).remoteWrites, 0);
    await units.delete(state.id, state.outs);
    assert.equal(
      await onHost(
        lab,
        HOST,
        `systemctl is-active ${PREFIX}-packaged; test -e /etc/systemd/system/${PREFIX}-packaged.service.d/lyra-fleet.conf || echo no-drop-in; test -e /usr/lib/systemd/system/${PREFIX}-packaged.service && echo package-file-kept`,
      ).catch((e) => String(e)),
      "inactive\nno-drop-in\npackage-file-kept\n",
    );
  });

  it("delete stops and disables the unit and removes its file", async () => {
    await destroyStack(stack);
    const result = await lab.sshExec(
      HOST,
      `systemctl is-active ${PREFIX}-worker; systemctl show -p LoadState --value ${PREFIX}-worker; test -e /etc/systemd/system/${PREFIX}-worker.service || echo no-file`,
    );
    assert.equal(result.stdout, "inactive\nnot-found\nno-file\n");
  });
});
