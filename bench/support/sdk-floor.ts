/**
 * What the Pulumi SDK alone costs on the CLI's path: a program that registers `resources` custom
 * resources with no inputs, run by the same language host against the same stand-in engine as the
 * fleet program (./language-host-run.ts), with the same node arguments (Pulumi.yaml's: the SDK
 * preload and the program loader) and the same changes to the SDK the program makes first
 * (src/fleet/sdk-changes.ts).
 * No work of ours: node, the SDK and its gRPC. The fleet program cannot cost less than this for
 * the same number of registrations.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { projectRuntime, runThroughLanguageHost, type RunResult } from "./language-host-run";

export async function sdkFloor(resources: number, project: string, cliBin: string): Promise<RunResult> {
  // The same directory for the same size, each time: the program loader's cached bundle is the
  // entry's, by path, so the floor is timed with its bundle cached, as the fleet program is.
  const dir = join(tmpdir(), `lyra-sdk-floor-${resources}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  try {
    symlinkSync(join(project, "node_modules"), join(dir, "node_modules"));
    // The project's name, exports and src/, so that its node arguments find what they name (lyra-fleet/sdk-preload).
    symlinkSync(join(project, "src"), join(dir, "src"));
    const { name, exports } = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name, exports, main: "index.ts" }));
    writeFileSync(
      join(dir, "Pulumi.yaml"),
      YAML.stringify({
        name: "sdk-floor",
        // The project's options as they are: its node arguments name its files by its package name.
        runtime: { name: "nodejs", options: projectRuntime(project).options },
        main: "index.ts",
      }),
    );
    // TypeScript, as the program is: the project's loader handles it the same way.
    writeFileSync(
      join(dir, "index.ts"),
      [
        `import * as pulumi from "@pulumi/pulumi";`,
        `import { applySdkChanges } from ${JSON.stringify(join(project, "src", "fleet", "sdk-changes"))};`,
        `applySdkChanges();`,
        `class Empty extends pulumi.CustomResource { constructor(name: string) { super("floor:index:Empty", name, {}); } }`,
        `for (let i = 0; i < ${resources}; i++) new Empty("r" + i);`,
      ].join("\n"),
    );
    return await runThroughLanguageHost({ project: dir, cliBin, stack: "floor", config: {}, secretKeys: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
