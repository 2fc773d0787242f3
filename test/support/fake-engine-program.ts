/**
 * A program run in a child node wired to a stand-in engine (bench/support/fake-engine.ts) as the
 * CLI wires one: the SDK's own environment variables name the monitor and the engine, for a
 * preview. For tests of what the program's SDK sends.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startFakeEngine } from "../../bench/support/fake-engine";

const root = join(__dirname, "..", "..");

export interface EngineSaw {
  /** The program's last line of output, parsed as JSON. */
  output: any;
  /** Messages by severity: 0 debug, 1 info, 2 warning, 3 error. */
  messages: number[];
  registrations: number;
  /** Each registration's source position, "" for none. */
  sourcePositions: string[];
}

/** Runs `node --import tsx <args>` in the checkout against a fresh stand-in engine; it must exit 0. */
export async function runAgainstFakeEngine(
  project: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<EngineSaw> {
  const engine = await startFakeEngine();
  try {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], {
      cwd: root,
      env: {
        ...process.env,
        ...env,
        PULUMI_NODEJS_MONITOR: engine.address,
        PULUMI_NODEJS_ENGINE: engine.address,
        PULUMI_NODEJS_PROJECT: project,
        PULUMI_NODEJS_STACK: "test",
        PULUMI_NODEJS_DRY_RUN: "true",
      },
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, err);
    return {
      output: JSON.parse(out.trim().split("\n").pop()!),
      messages: [...engine.messages],
      registrations: engine.registrations(),
      sourcePositions: [...engine.sourcePositions],
    };
  } finally {
    await engine.close();
  }
}
