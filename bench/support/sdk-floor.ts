/**
 * What the Pulumi SDK alone costs on the CLI's path: a program that registers `resources` custom
 * resources with no inputs of their own, loaded with the same node arguments as the fleet program
 * (Pulumi.yaml's: the SDK preload and the program loader) and making the same changes to the SDK
 * first (src/fleet/sdk-changes.ts). No work of ours: node, the SDK and its gRPC. The fleet program
 * cannot cost less than this for the same number of registrations.
 *
 * `sdkFloor` runs it against the stand-in engine (./language-host-run.ts), as bench/program-scale.ts
 * runs the fleet program; ./cli-floor.ts previews it with the real CLI, as bench/cli-preview.ts
 * previews the fleet.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { projectRuntime, runThroughLanguageHost, type RunResult } from "./language-host-run";

/**
 * What each floor resource is:
 * - `empty`: a custom resource of a type no engine has a provider for, with no inputs (the
 *   stand-in engine answers every registration itself);
 * - `dynamic`: a dynamic resource whose provider creates it as given and has no checks of its own,
 *   so a real engine checks each one through the Node.js dynamic provider, as it checks a host's.
 */
export type FloorResource = "empty" | "dynamic";

const resourceClass: Record<FloorResource, string[]> = {
  empty: [
    `class Floor extends pulumi.CustomResource { constructor(name: string) { super("floor:index:Empty", name, {}); } }`,
  ],
  dynamic: [
    `const provider = 'exports.handler = function () { return { create: async (inputs) => ({ id: "floor", outs: inputs }) }; };\\n';`,
    `class Floor extends pulumi.CustomResource {`,
    `  constructor(name: string) { super("pulumi-nodejs:dynamic/floor:Empty", name, { __provider: provider }); }`,
    `}`,
  ],
};

/**
 * The floor program's project in `dir` (made anew): `resources` floor resources, the project's
 * runtime options, its node_modules and src/ linked.
 */
export function writeFloorProject(dir: string, project: string, resources: number, resource: FloorResource): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
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
      ...resourceClass[resource],
      `for (let i = 0; i < ${resources}; i++) new Floor("r" + i);`,
    ].join("\n"),
  );
}

/** The floor against the stand-in engine. */
export async function sdkFloor(resources: number, project: string, cliBin: string): Promise<RunResult> {
  // The same directory for the same size, each time: the program loader's cached bundle is the
  // entry's, by path, so the floor is timed with its bundle cached, as the fleet program is.
  const dir = join(tmpdir(), `lyra-sdk-floor-${resources}`);
  writeFloorProject(dir, project, resources, "empty");
  try {
    return await runThroughLanguageHost({ project: dir, cliBin, stack: "floor", config: {}, secretKeys: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
