/**
 * The home stack's program run as the CLI runs it, through the project's language host, with these
 * node arguments in place of Pulumi.yaml's, against the bench's stand-in engine: for tests of what
 * the runner and the SDK preload do (test/tools/runner-*.test.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { projectRuntime, runThroughLanguageHost, type RunResult } from "../../bench/support/language-host-run";
import { ensureCli } from "../lab/pulumi-stack";
import { homeStackConfig, stackFleet } from "../program/evaluate";

const root = join(__dirname, "..", "..");

/** Pulumi.yaml's node arguments, as the CLI gives them to the language host. */
export const projectNodeargs = String(projectRuntime(root).options.nodeargs);

export async function runHomeProgram(nodeargs: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const run = await runThroughLanguageHost({
    project: root,
    cliBin: ensureCli(),
    stack: "home",
    ...homeStackConfig(stackFleet("home")),
    runtimeOptions: { ...projectRuntime(root).options, nodeargs },
    env,
  });
  assert.ok(run.registrations > 1, "the program declared its resources");
  return run;
}
