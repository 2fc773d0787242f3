/**
 * Property: whatever a user writes into the stack, the model either refuses it with a clean error
 * (the stack file, then one line per problem naming its field and what was expected, in the model's
 * words) or accepts it, and then every host's plan renders, with files that hold what their format
 * can: one directive per line, no control characters, ACL rules by MQTT's grammar, normalized paths.
 * The tools layer (test/tools/generated-stacks.test.ts) runs a sample of accepted stacks for real.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { FleetConfigError, parseFleet } from "../../src/model/load";
import { planFleet } from "../../src/render";
import type { HostPlan } from "../../src/render/plan";
import { applyEdits, stackEdits } from "../support/stack-arbitrary";

const source = "stacks/Pulumi.generated.yaml";
/** Enough to meet every class several times (each run is one stack: parse, and render when valid). */
export const numRuns = 400;

/** How the model's messages begin: what was expected, or the cross-field rule that was broken. */
const modelWording =
  /^(missing; )?expected |^invalid name '[^']*': expected |^unknown (field|service)|^host '[a-z0-9-]+' does not run config-source$|^address \S+ port \d+ is already used by host '[a-z0-9-]+'$|^user '[a-z0-9-]+' is implicit/;
/** zod's and JavaScript's own wording, which must never reach a user. */
const internalWording =
  /Invalid input|Too (big|small)|Unrecognized key|received|undefined|\[object|TypeError|Cannot read/;
const controlCharacter = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function assertCleanRejection(error: unknown): void {
  assert.ok(error instanceof FleetConfigError, `expected a FleetConfigError, got: ${String(error)}`);
  const lines = error.message.split("\n");
  assert.match(lines[0], /^stacks\/Pulumi\.generated\.yaml: \d+ problems? in lyra-fleet:fleet; nothing was changed:$/);
  assert.equal(lines.length, error.issues.length + 1, `one line per problem:\n${error.message}`);
  for (const issue of error.issues) {
    assert.match(issue.path, /^(site|hosts|versions|images|mqtt)(\.|$)/, `a field path: ${issue.path}`);
    assert.doesNotMatch(`${issue.path}: ${issue.message}`, controlCharacter, "no control character in a message");
    assert.match(issue.message, modelWording, `the model's words for ${issue.path}`);
    assert.doesNotMatch(issue.message, internalWording, `no internal wording for ${issue.path}`);
  }
}

const aclLine =
  /^(#.*|user [a-z][a-z0-9-]*|topic (read|write|readwrite) (\$SYS|[^+#/\s]*|\+)(\/([^+#/\s]*|\+))*(\/#)?|topic (read|write|readwrite) #|)$/;
const unitLine = /^(#.*|\[[A-Za-z]+\]|[A-Za-z]+=.*|)$/;

function assertRenderable(plans: HostPlan[]): void {
  for (const plan of plans) {
    for (const dir of plan.directories)
      assert.doesNotMatch(dir.path, /\/\/|\/\.\.?(\/|$)|.\/$/, `${plan.host}: normalized directory ${dir.path}`);
    for (const file of plan.files) {
      assert.doesNotMatch(file.path, /\/\/|\/\.\.?(\/|$)|\s/, `${plan.host}: normalized file path ${file.path}`);
      assert.doesNotMatch(
        file.content.replace(/[\n\t]/g, ""),
        controlCharacter,
        `${plan.host}:${file.path} holds a control character`,
      );
      if (file.path.endsWith("/acl"))
        for (const line of file.content.split("\n")) assert.match(line, aclLine, `${plan.host}:${file.path}`);
    }
    for (const unit of plan.units) {
      if (unit.content === null) continue;
      assert.doesNotMatch(
        unit.content.replace(/\n/g, ""),
        controlCharacter,
        `${plan.host}:${unit.name} holds a control character`,
      );
      for (const line of unit.content.split("\n")) assert.match(line, unitLine, `${plan.host}:${unit.name}`);
      const exec = unit.content.split("\n").filter((l) => /^ExecStart=/.test(l));
      // A '+' or '!' prefix would run the model's command as root: only fixed helpers may have one.
      for (const line of exec) assert.doesNotMatch(line, /^ExecStart=[-@:]*[+!]/, `${plan.host}:${unit.name}: ${line}`);
    }
  }
}

test(`generated stacks, valid and broken: a clean error naming file and field, or a plan that renders (${numRuns} runs)`, () => {
  let accepted = 0;
  let rejected = 0;
  fc.assert(
    fc.property(stackEdits(true), (edits) => {
      let fleet;
      try {
        fleet = parseFleet(applyEdits(edits), source);
      } catch (error) {
        assertCleanRejection(error);
        rejected++;
        return;
      }
      assertRenderable(planFleet(fleet));
      accepted++;
    }),
    { numRuns, seed: Number(process.env.LYRA_FC_SEED ?? 20261204) },
  );
  // Both outcomes must be exercised, or the property proves half of what it says.
  assert.ok(accepted >= numRuns / 10 && rejected >= numRuns / 10, `accepted ${accepted}, rejected ${rejected}`);
});

test("generated valid-only stacks are mostly accepted (the generator's valid side is valid)", () => {
  let accepted = 0;
  fc.assert(
    fc.property(stackEdits(false), (edits) => {
      try {
        assertRenderable(planFleet(parseFleet(applyEdits(edits), source)));
        accepted++;
      } catch (error) {
        assertCleanRejection(error); // cross-field rules (a port taken twice, a sync from itself) still refuse some
      }
    }),
    { numRuns: 100, seed: 1204 },
  );
  assert.ok(accepted >= 50, `accepted ${accepted} of 100`);
});
