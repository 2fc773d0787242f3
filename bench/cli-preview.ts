/**
 * Benchmark (not a test): the real `pulumi preview` of a new stack of N mirrors (default 10, 100
 * and 1000): the Pulumi CLI, its engine, the language host, the dynamic provider's checks and the
 * program, as a user runs them. bench/program-scale.ts times the program alone against a stand-in
 * engine; this is the same program under the real one.
 *
 * The fleet is the lab stack's, with mirror-1..mirror-N at addresses no host answers: a new stack
 * has nothing to refresh and a resource to create is only checked, so no host is reached (the
 * bench fails if the host layer counted any command). Each size's stack is made once per bench run
 * (its secrets set in one `pulumi config set-all`), then previewed --runs times (3 unless told).
 * Each run records the whole command's wall time and CPU (every process it ran, on every core:
 * ./support/children-cpu.ts) and the program process's own figures, measured inside it by
 * ./support/program-clock.cjs: start to resources declared, start to exit (the last registration
 * answered), CPU and peak RSS. The whole CPU less the program's is the rest of the CLI's: its
 * engine, the language host and the dynamic provider, which share the machine's cores with the
 * program. Needs the lab's client key (`lab.sh up` made it once),
 * not the lab's hosts.
 *
 * Beside each size, the SDK floor under the same CLI (./support/cli-floor.ts): the preview of as many
 * dynamic resources that do nothing, previewed in turn with the fleet. No program with that many
 * registrations can take less.
 *
 *   node --import tsx bench/cli-preview.ts [mirrors...] [--runs N]
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { labDir } from "../test/lab/lab";
import { labSecrets } from "../test/lab/pulumi-lab";
import { ensureCli, pulumiStack, stackSecrets, type LabStack } from "../test/lab/pulumi-stack";
import { fleetWithMirrors } from "../test/support/stack-fleet";
import { benchArgs } from "./support/bench-args";
import { childrenCpuSeconds } from "./support/children-cpu";
import { cliFloorStack, type FloorPreview, type FloorStack } from "./support/cli-floor";
import { median } from "./support/median";
import { programFigures } from "./support/program-clock-log";
import { pulumiFailure } from "./support/pulumi-failure";
import type { Row } from "./support/result-rows";
import { recordResults } from "./support/results";

const { runs, sizes } = benchArgs(process.argv.slice(2), { runs: 3, sizes: [10, 100, 1000] });
const clockPreload = join(__dirname, "support", "program-clock.cjs");
const root = join(__dirname, "..");
const previewDir = join(labDir, "pulumi-preview");
const stackDir = (mirrors: number) => join(previewDir, `preview-${mirrors}`);
/** Beside the stack's directory, which a fresh stack starts by removing. */
const secretsFile = (mirrors: number) => join(previewDir, `preview-${mirrors}-secrets.json`);

/** The lab fleet with mirror-1..mirror-N, each mirror-1's settings at an address of its own. */
const previewFleet = (mirrors: number) =>
  // 198.18.0.0/15, the benchmarking range: no host of the lab or the machine's network has it.
  fleetWithMirrors("lab", mirrors, (i) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`);

/**
 * Every secret the fleet needs: the lab stack's for lyra, vega and mirror-1's keys, random ones
 * for the other mirrors' (pulumi-stack.ts's stackSecrets).
 */
async function previewStack(mirrors: number): Promise<LabStack> {
  const fleet = previewFleet(mirrors);
  mkdirSync(previewDir, { recursive: true });
  rmSync(secretsFile(mirrors), { force: true });
  return pulumiStack(
    {
      stack: "lab",
      dir: stackDir(mirrors),
      fleet: () => fleet,
      secrets: () => stackSecrets(fleet, "stacks/Pulumi.lab.yaml", secretsFile(mirrors), labSecrets()),
    },
    { fresh: true, secretsInOneCommand: true },
  );
}

type MeasuredRow = Extract<Row<"cli-preview">, { status: "measured" }>;
type Measured = Required<Omit<MeasuredRow, "status" | "mirrors" | "wallSecondsEach" | "floor">>;

async function previewOnce(stack: LabStack, mirrors: number): Promise<Measured> {
  const clockLog = join(stackDir(mirrors), "program-clock.log");
  rmSync(clockLog, { force: true });
  stack.resetCounters();
  const cpuBefore = childrenCpuSeconds();
  const run = await stack.pulumi(["preview", "--stack", stack.stack], {
    env: {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${clockPreload}`.trim(),
      LYRA_PROGRAM_CLOCK_LOG: clockLog,
    },
    timeoutMs: 10 * 60_000,
  });
  const cpuSeconds = childrenCpuSeconds() - cpuBefore;
  if (run.code !== 0) throw new Error(`pulumi preview exited ${run.code}:\n${pulumiFailure(run.output)}`);
  const reached = Object.entries(stack.counters()).filter(([, c]) => c.remoteCommands > 0);
  if (reached.length > 0) throw new Error(`the preview reached hosts: ${reached.map(([h]) => h).join(", ")}`);
  const toCreate = /\+ (\d+) to create/.exec(run.output);
  if (!toCreate) throw new Error(`no "to create" count in the preview's output:\n${run.output.slice(-2000)}`);
  const program = programFigures(clockLog);
  return {
    resources: Number(toCreate[1]),
    wallSeconds: run.ms / 1000,
    cpuSeconds,
    programEvaluatedSeconds: program.evaluatedSeconds,
    programSeconds: program.exitedSeconds,
    programCpuSeconds: program.cpuSeconds,
    programPeakRssMb: program.peakRssMb,
  };
}

async function main(): Promise<void> {
  const started = new Date();
  const recorded: Row<"cli-preview">[] = [];
  const header =
    "mirrors  resources  preview s  cpu s  program: declared s  exited s  cpu s  peak RSS MB  floor: program / preview s / cpu s";
  const table = [header];
  for (const mirrors of sizes) {
    let line: string;
    let floor: FloorStack | undefined;
    try {
      const stack = await previewStack(mirrors);
      const each: Measured[] = [];
      const floorEach: FloorPreview[] = [];
      // The floor registers what the fleet does, the stack's own resource aside; previews of the
      // two are taken in turn, so both see the machine's same hour.
      each.push(await previewOnce(stack, mirrors));
      floor = cliFloorStack(each[0].resources - 1, root, ensureCli());
      floorEach.push(floor.preview());
      for (let run = 1; run < runs; run++) {
        each.push(await previewOnce(stack, mirrors));
        floorEach.push(floor.preview());
      }
      const m = (key: keyof Measured) => median(each.map((x) => x[key]));
      const f = (key: keyof FloorPreview) => median(floorEach.map((x) => x[key]));
      const row = {
        status: "measured" as const,
        mirrors,
        resources: each[0].resources,
        wallSeconds: m("wallSeconds"),
        cpuSeconds: m("cpuSeconds"),
        programEvaluatedSeconds: m("programEvaluatedSeconds"),
        programSeconds: m("programSeconds"),
        programCpuSeconds: m("programCpuSeconds"),
        programPeakRssMb: m("programPeakRssMb"),
        wallSecondsEach: each.map((x) => x.wallSeconds),
        floor: {
          resources: floorEach[0].resources,
          wallSeconds: f("wallSeconds"),
          programSeconds: f("exitedSeconds"),
          programCpuSeconds: f("cpuSeconds"),
          programPeakRssMb: f("peakRssMb"),
          cpuSeconds: f("previewCpuSeconds"),
        },
      };
      recorded.push(row);
      line = [
        String(mirrors).padStart(7),
        String(row.resources).padStart(9),
        row.wallSeconds.toFixed(2).padStart(9),
        row.cpuSeconds.toFixed(2).padStart(5),
        row.programEvaluatedSeconds.toFixed(2).padStart(19),
        row.programSeconds.toFixed(2).padStart(8),
        row.programCpuSeconds.toFixed(2).padStart(5),
        row.programPeakRssMb.toFixed(0).padStart(11),
        [row.floor.programSeconds, row.floor.wallSeconds, row.floor.cpuSeconds].map((x) => x.toFixed(2)).join(" / "),
      ].join("  ");
    } catch (err) {
      const error = (err as Error).message.split("\n")[0].slice(0, 120);
      recorded.push({ status: "failed", mirrors, error });
      line = `${String(mirrors).padStart(7)}  failed: ${error}`;
    } finally {
      floor?.remove();
      rmSync(stackDir(mirrors), { recursive: true, force: true });
      rmSync(secretsFile(mirrors), { force: true });
    }
    table.push(line);
    console.log(line);
  }
  console.log(`\n${table.join("\n")}`);
  const what =
    `the real \`pulumi preview\` of a new lab stack with N mirrors (no host reached): the command's wall time and CPU (all its processes) and the program process's ` +
    `(declared, exited, CPU, peak RSS), medians of ${runs} runs`;
  console.log(`results: ${recordResults("cli-preview", what, started, recorded)}`);
  if (recorded.some((r) => r.status === "failed")) process.exitCode = 1;
}

void main();
