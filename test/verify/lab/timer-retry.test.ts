/**
 * A timer's oneshot whose run failed, on a lab host's real systemd: with `retriedOnFailure` systemd
 * runs it again a few seconds later, and verify's unit check, read while the retry is pending,
 * waits for it and reports its result; a retry that fails too is still a failure. (A run fails this
 * way in the lab when systemd cannot start it, status=219/CGROUP on a loaded host, or when the
 * broker it publishes to is restarting.) Needs the lab up, not converged.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { shellQuote } from "../../../src/host/transport/shell";
import { retriedOnFailure, unitFile } from "../../../src/render/systemd";
import { parseShow, settledUnitVerdict, unitShowScript, unitVerdict } from "../../../src/verify/check-unit";
import { ensureLab, type Lab } from "../../lab/lab";

const HOST = "lyra";
const NAME = "lyra-test-retry";
/** Fails the runs while this file says so: `once` (and removes it) or `always`. */
const FLAG = `/run/${NAME}.fail`;

let lab: Lab;

async function onHost(command: string): Promise<string> {
  const result = await lab.sshExec(HOST, command);
  assert.equal(result.code, 0, `${HOST}: ${command}\n${result.stderr}`);
  return result.stdout;
}

/** What verify's unit check reads, run the same way: the script with the unit as $1. */
const show = () => onHost(`sh -c ${shellQuote(unitShowScript)} sh ${NAME}.timer`);

/** Starts the timer afresh (its first run at once) and waits until that run has failed. */
async function firstRunFails(mode: "once" | "always"): Promise<void> {
  await onHost(
    `systemctl stop ${NAME}.timer ${NAME}.service; systemctl reset-failed ${NAME}.service; echo ${mode} > ${FLAG}`,
  );
  await onHost(`systemctl start ${NAME}.timer`);
  await onHost(
    `for i in $(seq 100); do [ "$(systemctl show -p SubState --value ${NAME}.service)" = auto-restart ] && exit 0; sleep 0.1; done; exit 1`,
  );
}

describe("verify and a timer's service that systemd retries", { timeout: 5 * 60_000 }, () => {
  before(async () => {
    lab = await ensureLab();
    const service = unitFile({
      Unit: { Description: "lyra-fleet test: a oneshot whose runs fail while a flag says so" },
      Service: {
        Type: "oneshot",
        ExecStart: `/bin/sh -c 'case "$(cat ${FLAG} 2>/dev/null)" in once) rm -f ${FLAG}; exit 1 ;; always) exit 1 ;; esac'`,
        ...retriedOnFailure("5s"),
      },
    });
    const timer = unitFile({ Timer: { OnActiveSec: "1s", OnUnitActiveSec: "1h", AccuracySec: "1s" } });
    await onHost(
      `cat > /etc/systemd/system/${NAME}.service <<'EOF'\n${service}EOF\ncat > /etc/systemd/system/${NAME}.timer <<'EOF'\n${timer}EOF\nsystemctl daemon-reload`,
    );
  });

  after(async () => {
    await lab?.sshExec(
      HOST,
      `systemctl stop ${NAME}.timer ${NAME}.service; rm -f /etc/systemd/system/${NAME}.* ${FLAG}; systemctl daemon-reload`,
    );
  });

  test("read while the retry is pending, the check waits and reports the retry that succeeded", async () => {
    await firstRunFails("once");
    const [timer, service] = parseShow(await show());
    assert.equal(unitVerdict(`${NAME}.timer`, timer, service).retrying, true, "read while systemd retries");
    assert.deepEqual(await settledUnitVerdict(`${NAME}.timer`, show), {
      ok: true,
      detail: `active (waiting), ${NAME}.service's last run succeeded`,
    });
    // The verdict takes NRestarts > 0 during a run for a retry: the next start that is not a retry
    // (the timer's, or an operator's) must count from 0 again.
    const restarts = () => onHost(`systemctl show -p NRestarts --value ${NAME}.service`).then((s) => s.trim());
    assert.equal(await restarts(), "1");
    await onHost(`systemctl start ${NAME}.service`);
    assert.equal(await restarts(), "0");
  });

  test("a retry that fails too is reported as a failure", async () => {
    await firstRunFails("always");
    // Longer than one retry (5 s and its run): the check has seen a retry fail.
    const verdict = await settledUnitVerdict(`${NAME}.timer`, show, undefined, 8_000);
    assert.equal(verdict.ok, false);
    assert.match(verdict.detail, new RegExp(`${NAME}\\.service's last run failed`));
    const restarts = Number((await onHost(`systemctl show -p NRestarts --value ${NAME}.service`)).trim());
    assert.ok(restarts >= 1, `systemd retried it (NRestarts=${restarts})`);
  });
});
