/**
 * The CLI's runner opens an inspector session (V8's debugger on) before it loads the program, for
 * closure serialization, which the program never does; under Pulumi.yaml's node arguments the SDK
 * preload (src/fleet/sdk-preload.cjs) tells it not to. Checked on the runner itself, through the
 * project's language host: no session in the program process with the preload, one without it
 * (else the preload's skip has no purpose).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { projectNodeargs as nodeargs, runHomeProgram } from "../support/home-program-run";

const root = join(__dirname, "..", "..");

/** Runs the home stack's program with these node arguments; says how many inspector sessions it opened. */
async function inspectorSessions(nodeargs: string): Promise<number> {
  const scratch = mkdtempSync(join(tmpdir(), "lyra-runner-inspector-"));
  const log = join(scratch, "sessions");
  try {
    await runHomeProgram(nodeargs, {
      NODE_OPTIONS: `--require ${join(root, "test", "support", "inspector-sessions.cjs")}`,
      LYRA_INSPECTOR_SESSIONS_LOG: log,
    });
    return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").length : 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

test(
  "under Pulumi.yaml's node arguments the program runs without an inspector session",
  { timeout: 120_000 },
  async () => {
    assert.match(nodeargs, /--require lyra-fleet\/sdk-preload/);
    assert.equal(await inspectorSessions(nodeargs), 0);
  },
);

test("without the SDK preload the runner opens one", { timeout: 120_000 }, async () => {
  const withoutPreload = nodeargs.replace("--require lyra-fleet/sdk-preload", "").trim();
  assert.doesNotMatch(withoutPreload, /sdk-preload/);
  assert.equal(await inspectorSessions(withoutPreload), 1);
});
