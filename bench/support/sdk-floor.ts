/**
 * What the Pulumi SDK alone costs on the CLI's path: a program that registers `resources` custom
 * resources with no inputs, run by the same language host against the same stand-in engine as the
 * fleet program (./language-host-run.ts), with the same loader (tsx) and the same two changes to
 * the SDK the program makes first (src/fleet/sdk-promise-stacks.ts, src/fleet/sdk-debug-logs.ts).
 * No work of ours: node, the SDK and its gRPC. The fleet program cannot cost less than this for
 * the same number of registrations.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runThroughLanguageHost, type RunResult } from "./language-host-run";

export async function sdkFloor(resources: number, project: string, cliBin: string): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "lyra-sdk-floor-"));
  try {
    symlinkSync(join(project, "node_modules"), join(dir, "node_modules"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "sdk-floor", main: "index.js" }));
    writeFileSync(
      join(dir, "Pulumi.yaml"),
      "name: sdk-floor\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n    nodeargs: --require tsx/cjs\nmain: index.js\n",
    );
    writeFileSync(
      join(dir, "index.js"),
      [
        `const pulumi = require("@pulumi/pulumi");`,
        `require(${JSON.stringify(join(project, "src", "fleet", "sdk-promise-stacks.ts"))}).skipSdkPromiseStacks();`,
        `require(${JSON.stringify(join(project, "src", "fleet", "sdk-debug-logs.ts"))}).skipSdkDebugLogs();`,
        `class Empty extends pulumi.CustomResource { constructor(name) { super("floor:index:Empty", name, {}); } }`,
        `for (let i = 0; i < ${resources}; i++) new Empty("r" + i);`,
      ].join("\n"),
    );
    return await runThroughLanguageHost({ project: dir, cliBin, stack: "floor", config: {}, secretKeys: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
