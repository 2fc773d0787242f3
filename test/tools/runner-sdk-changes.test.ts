/**
 * The runner declares the stack resource before it loads the program, so the program's own SDK
 * changes (src/fleet/sdk-changes.ts) come too late for it; under Pulumi.yaml's node arguments the
 * SDK preload (src/fleet/sdk-preload.cjs) makes two of them as the SDK loads. Checked on the runner
 * itself, through the project's language host, against the bench's stand-in engine: with the
 * preload no registration, the stack's included, carries a source position and no debug message
 * is sent; without it the stack's does and some are (else the preload's change has no purpose).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { projectNodeargs as nodeargs, runHomeProgram } from "../support/home-program-run";

/** Runs the home stack's program with these node arguments: what the engine saw. */
async function engineSaw(nodeargs: string) {
  const run = await runHomeProgram(nodeargs, { LYRA_FLEET_SOURCE_POSITIONS: "", LYRA_FLEET_SDK_DEBUG: "" });
  const [debug] = run.messages;
  return { stackPosition: run.sourcePositions[0], positions: run.sourcePositions.filter(Boolean), debug };
}

test(
  "under Pulumi.yaml's node arguments the stack resource, too, has no source position and no debug message",
  { timeout: 120_000 },
  async () => {
    assert.match(nodeargs, /--require lyra-fleet\/sdk-preload/);
    assert.deepEqual(await engineSaw(nodeargs), { stackPosition: "", positions: [], debug: 0 });
  },
);

test("without the SDK preload the stack resource has both", { timeout: 120_000 }, async () => {
  const withoutPreload = nodeargs.replace("--require lyra-fleet/sdk-preload", "").trim();
  assert.doesNotMatch(withoutPreload, /sdk-preload/);
  const saw = await engineSaw(withoutPreload);
  assert.match(saw.stackPosition, /^file:\/\/.*stack\.ts#\d+,\d+$/);
  assert.deepEqual(saw.positions, [saw.stackPosition], "only the stack's: the program skips the rest itself");
  assert.ok(saw.debug > 0, `${saw.debug} debug messages`);
});
