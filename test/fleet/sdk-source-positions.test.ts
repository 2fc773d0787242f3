/**
 * The SDK sends no source position with a registration, and errors keep their traces;
 * LYRA_FLEET_SOURCE_POSITIONS=1 keeps the positions. The program runs in a child process wired to a
 * stand-in engine (bench/support/fake-engine.ts) as the CLI wires it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runAgainstFakeEngine } from "../support/fake-engine-program";

const root = join(__dirname, "..", "..");
const program = [
  `const { skipSdkSourcePositions } = require(${JSON.stringify(join(root, "src/fleet/sdk-source-positions.cjs"))});`,
  `const status = skipSdkSourcePositions();`,
  `const again = skipSdkSourcePositions();`,
  `const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi"))});`,
  `class Thing extends pulumi.CustomResource { constructor(n, p) { super("test:index:Thing", n, p); } }`,
  `const thing = new Thing("thing", { port: 1883 });`,
  `const trace = new Error("an error").stack.split("\\n").length;`,
  `thing.urn.apply(async () => { await pulumi.runtime.disconnect(); console.log(JSON.stringify({ status, again, trace })); });`,
].join("\n");

// A file, not `node -e`: the SDK takes a position only from a frame that names a file.
const scratch = mkdtempSync(join(tmpdir(), "lyra-source-positions-"));
const programFile = join(scratch, "program.js");
writeFileSync(programFile, program);
after(() => rmSync(scratch, { recursive: true, force: true }));

async function run(extraEnv: NodeJS.ProcessEnv) {
  const saw = await runAgainstFakeEngine("sdk-source-positions", [programFile], extraEnv);
  return { ...saw.output, positions: saw.sourcePositions };
}

test("a registration carries no source position; an error keeps its trace", { timeout: 60_000 }, async () => {
  const result = await run({ LYRA_FLEET_SOURCE_POSITIONS: "" });
  assert.equal(result.status, "skipped");
  assert.equal(result.again, "skipped", "a second call changes nothing");
  assert.deepEqual(result.positions, [""]);
  assert.ok(result.trace > 2, `the error's trace has ${result.trace} lines`);
});

test("LYRA_FLEET_SOURCE_POSITIONS=1 keeps them", { timeout: 60_000 }, async () => {
  const result = await run({ LYRA_FLEET_SOURCE_POSITIONS: "1" });
  assert.equal(result.status, "kept for LYRA_FLEET_SOURCE_POSITIONS");
  assert.equal(result.positions.length, 1);
  assert.match(result.positions[0], /^file:\/\/.*program\.js#6,\d+$/);
});
