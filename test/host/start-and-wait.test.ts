/**
 * lyra_start (START_AND_WAIT_FUNCTION), the shell function that starts a unit and waits for it, run
 * by /bin/sh against a fake systemctl that records its calls: why it gives up, without a clock.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { START_AND_WAIT_FUNCTION } from "../../src/host/resources/systemd-state";

const dir = mkdtempSync(join(tmpdir(), "lyra-start-and-wait-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `lyra_start UNIT start WAIT 0` with a systemctl whose `show` always prints `state`. */
function lyraStart(state: string, waitSeconds: number) {
  const bin = mkdtempSync(join(dir, "bin-"));
  const calls = join(bin, "calls");
  writeFileSync(
    join(bin, "systemctl"),
    `#!/bin/sh\necho "$*" >>'${calls}'\ncase "$1" in show) printf '%s\\n' '${state}' 'InvocationID=1' ;; esac\n`,
    { mode: 0o755 },
  );
  writeFileSync(join(bin, "journalctl"), "#!/bin/sh\necho broken-on-purpose\n", { mode: 0o755 });
  const run = spawnSync("/bin/sh", ["-c", `${START_AND_WAIT_FUNCTION}\nlyra_start x.service start ${waitSeconds} 0`], {
    encoding: "utf8",
    env: { PATH: `${bin}:/usr/bin:/bin` },
    timeout: 60_000, // a hang guard: the deadline below is 600 s
  });
  assert.equal(run.error, undefined, "lyra_start returned");
  return { run, calls: readFileSync(calls, "utf8").trim().split("\n") };
}

test("a unit that fails on its start and on the one retry is given up at once, saying so, not at the deadline", () => {
  const { run, calls } = lyraStart("ActiveState=failed", 600);
  assert.equal(run.status, 3);
  assert.match(run.stdout, /^failed twice \(start and one retry\), given up without waiting: .*ActiveState=failed/);
  assert.match(run.stdout, /\nbroken-on-purpose\n$/, "the journal follows");
  assert.deepEqual(
    calls.filter((c) => !c.startsWith("show")),
    ["start -- x.service", "reset-failed -- x.service", "start -- x.service"],
    "started once, retried once, then no more",
  );
});

test("a unit that is still starting at its deadline is given up at the deadline, without the 'failed twice' reason", () => {
  const { run } = lyraStart("ActiveState=activating", 0);
  assert.equal(run.status, 3);
  assert.match(run.stdout, /^ActiveState=activating/);
  assert.doesNotMatch(run.stdout, /failed twice/);
});
