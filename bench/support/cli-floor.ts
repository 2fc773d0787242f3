/**
 * The SDK floor under the real CLI: `pulumi preview` of a new stack of `resources` dynamic
 * resources that do nothing (./sdk-floor.ts), in a project and state of its own. What any program
 * of that many registrations costs when the real engine checks each one through the Node.js dynamic
 * provider, before any work of ours: bench/cli-preview.ts sets it beside the fleet's preview.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliEnvironment } from "../../test/lab/pulumi-stack";
import { childrenCpuSeconds } from "./children-cpu";
import { programFigures, type ProgramFigures } from "./program-clock-log";
import { pulumiFailure } from "./pulumi-failure";
import { writeFloorProject } from "./sdk-floor";

export interface FloorPreview extends ProgramFigures {
  /** What the preview would create, the stack's own included. */
  resources: number;
  /** The whole `pulumi preview`. */
  wallSeconds: number;
  /** ... and its CPU, every process of it (./children-cpu.ts); cpuSeconds is the program's alone. */
  previewCpuSeconds: number;
}

const PULUMI_TIMEOUT_MS = 10 * 60_000;

export interface FloorStack {
  /** One `pulumi preview` of the floor's new stack. */
  preview(): FloorPreview;
  /** Removes its project, state and CLI home. */
  remove(): void;
}

/** A floor of `resources` registrations, its stack made (previews are taken in turn with the fleet's). */
export function cliFloorStack(resources: number, project: string, cliBin: string): FloorStack {
  const dir = mkdtempSync(join(tmpdir(), "lyra-cli-floor-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const projectDir = join(dir, "project");
  const clockLog = join(dir, "program-clock.log");
  const env = cliEnvironment(cliBin, join(dir, "home"), randomBytes(24).toString("base64url"));
  const pulumi = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const started = Date.now();
    const cpuBefore = childrenCpuSeconds();
    const run = spawnSync(join(cliBin, "pulumi"), args, {
      cwd: projectDir,
      env: { ...env, ...extra },
      encoding: "utf8",
      timeout: PULUMI_TIMEOUT_MS,
    });
    const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
    if (run.status !== 0) throw new Error(`floor: pulumi ${args[0]} exited ${run.status}:\n${pulumiFailure(output)}`);
    return { output, seconds: (Date.now() - started) / 1000, cpuSeconds: childrenCpuSeconds() - cpuBefore };
  };
  try {
    writeFloorProject(projectDir, project, resources, "dynamic");
    mkdirSync(join(dir, "state"));
    pulumi(["login", `file://${join(dir, "state")}`]);
    pulumi(["stack", "init", "floor", "--secrets-provider", "passphrase"]);
  } catch (err) {
    remove();
    throw err;
  }
  return {
    remove,
    preview() {
      rmSync(clockLog, { force: true });
      const run = pulumi(["preview", "--stack", "floor"], {
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${join(__dirname, "program-clock.cjs")}`.trim(),
        LYRA_PROGRAM_CLOCK_LOG: clockLog,
      });
      const toCreate = /\+ (\d+) to create/.exec(run.output);
      if (!toCreate)
        throw new Error(`floor: no "to create" count in the preview's output:\n${run.output.slice(-2000)}`);
      return {
        resources: Number(toCreate[1]),
        wallSeconds: run.seconds,
        previewCpuSeconds: run.cpuSeconds,
        ...programFigures(clockLog),
      };
    },
  };
}
