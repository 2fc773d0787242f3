/**
 * A fleet whose stack config is larger than one environment string may be (Linux's MAX_ARG_STRLEN,
 * 128 KiB) runs through the project's language host, as `pulumi up` on a fresh clone runs it:
 * no bundle of the program cached yet, so the program loader starts esbuild to make one
 * (src/fleet/program-bundle.cjs). The config reaches the program on a pipe
 * (scripts/pulumi-cli/config-from-pipe.cjs) and must not stay in the environment the program's own
 * child processes inherit: there it failed esbuild's spawn with E2BIG (then tsx's).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runThroughLanguageHost } from "../../bench/support/language-host-run";
import { ensureCli } from "../lab/pulumi-stack";
import { evaluate, homeStackConfig, testSecrets } from "../program/evaluate";
import { homeFleetWithMirrors } from "../support/stack-fleet";

const root = join(__dirname, "..", "..");
const MAX_ARG_STRLEN = 128 * 1024;

test(
  "a stack config over 128 KiB runs through the language host with no bundle of the program cached",
  { timeout: 300_000 },
  async () => {
    const mirrors = 550;
    const fleet = homeFleetWithMirrors(mirrors);
    const { config, secretKeys } = homeStackConfig(fleet);
    assert.ok(JSON.stringify(config).length > MAX_ARG_STRLEN * 1.2, "the config is well over one environment string");

    // An empty bundle cache, as a fresh clone has.
    const scratch = mkdtempSync(join(tmpdir(), "lyra-cold-bundle-"));
    try {
      const run = await runThroughLanguageHost({
        project: root,
        cliBin: ensureCli(),
        stack: "home",
        config,
        secretKeys,
        env: { LYRA_FLEET_BUNDLE_CACHE: scratch },
      });
      assert.deepEqual(
        readdirSync(scratch)
          .map((name) => name.replace(/^[0-9a-f]{64}/, "<sha256>"))
          .sort(),
        ["<sha256>.js", "<sha256>.json"],
        "the program loader bundled the program into the empty cache: its code and its index",
      );
      // Every resource the program declares for this fleet (as counted under mocks), and the stack.
      const declared = evaluate({ stack: "home", fleet, secrets: testSecrets(fleet) }).registrations.length;
      assert.equal(run.registrations, declared + 1, `the program declared every host of ${mirrors} mirrors`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
);
