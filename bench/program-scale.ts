/**
 * Benchmark (not a test): what evaluating the fleet program costs for fleets of 10, 100 and 1000
 * mirrors, as wall time and the program process's peak memory (max RSS).
 *
 * The `cli` rows run what `pulumi preview` runs: the project's own language host is asked to Run
 * the program with Pulumi.yaml's runtime options, and starts `node <nodeargs>
 * @pulumi/pulumi/cmd/run` (see bench/support/language-host-run.ts); only the engine is a stand-in
 * that answers every registration at once. `cli ts-node` is the same path with the options the
 * project had before (`typescript: true`: ts-node with type checking). The `mocks` row evaluates
 * under Pulumi's mocks loaded through tsx, as the program tests do. The `sdk floor` row is a program
 * of the same number of empty resources on the CLI's path (bench/support/sdk-floor.ts): what the SDK
 * costs before any work of ours.
 *
 * Issue 14's targets, under what the CLI runs: 1000 mirrors in under 3 s and 400 MB, 10 mirrors
 * in under 1 s.
 *
 * Each figure is the median of --runs runs (5 unless told): one run's wall time here varies by
 * 0.2-0.3 s from the next, as much as some of the changes it measures.
 *
 *   node --import tsx bench/program-scale.ts [mirrors...] [--rows cli,cli-ts-node,mocks,floor] [--runs N]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { homeStackConfig, loaders, testSecrets } from "../test/program/evaluate";
import { homeFleetWithMirrors } from "../test/support/stack-fleet";
import { projectRuntime, runThroughLanguageHost } from "./support/language-host-run";
import type { Row } from "./support/result-rows";
import { recordResults } from "./support/results";
import { benchArgs } from "./support/bench-args";
import { median } from "./support/median";
import { sdkFloor } from "./support/sdk-floor";

const root = join(__dirname, "..");
const { option, runs, sizes } = benchArgs(process.argv.slice(2), { runs: 5, sizes: [10, 100, 1000] });
const rows = option("--rows")?.split(",") ?? ["cli", "cli-ts-node", "mocks", "floor"];

interface Measured {
  resources: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

const cliBin = rows.some((r) => r.startsWith("cli") || r === "floor")
  ? execFileSync("bash", [join(root, "scripts", "pulumi-cli", "ensure.sh")], { encoding: "utf8" }).trim()
  : "";

/** Through the language host, as the CLI runs the program, with these runtime options. */
async function viaCli(fleet: Record<string, any>, runtimeOptions?: Record<string, unknown>): Promise<Measured> {
  const run = await runThroughLanguageHost({
    project: root,
    cliBin,
    stack: "home",
    ...homeStackConfig(fleet),
    runtimeOptions,
  });
  // The engine also counts the stack resource the runner registers.
  return {
    resources: run.registrations - 1,
    wallSeconds: run.wallSeconds,
    cpuSeconds: run.cpuSeconds,
    peakRssMb: run.peakRssMb,
  };
}

/** Under Pulumi's mocks in a child process, loaded through tsx as the program tests load it. */
function viaMocks(fleet: Record<string, any>): Measured {
  const dir = mkdtempSync(join(tmpdir(), "bench-eval-"));
  try {
    const out = join(dir, "result.json");
    const input = JSON.stringify({ stack: "home", fleet, secrets: testSecrets(fleet), record: false });
    // A large heap limit so the figure is measured rather than cut off by Node's default.
    const run = spawnSync(
      "/usr/bin/time",
      [
        "-f",
        "%e %M %U %S",
        process.execPath,
        "--max-old-space-size=16384",
        ...loaders.tsx.args,
        "test/program/evaluate-main.ts",
        out,
      ],
      { cwd: root, input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    const [wall, maxKb, user, system] = run.stderr.trim().split("\n").pop()!.split(" ").map(Number);
    if (run.status !== 0) throw new Error(`exit ${run.status}: ${run.stderr.slice(-2000)}`);
    const parsed = JSON.parse(readFileSync(out, "utf8"));
    if (parsed.error) throw new Error(parsed.error.message);
    return { resources: parsed.count, wallSeconds: wall, cpuSeconds: user + system, peakRssMb: maxKb / 1024 };
  } finally {
    // A failed run is recorded and the sizes go on: its directory must not stay behind.
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `runs` measurements of one way at one size, as their medians. */
async function medianOf(
  measure: () => Promise<Measured> | Measured,
): Promise<Measured & { wallSecondsEach: number[] }> {
  const each: Measured[] = [];
  for (let run = 0; run < runs; run++) each.push(await measure());
  return {
    resources: each[0].resources,
    wallSeconds: median(each.map((m) => m.wallSeconds)),
    cpuSeconds: median(each.map((m) => m.cpuSeconds)),
    peakRssMb: median(each.map((m) => m.peakRssMb)),
    wallSecondsEach: each.map((m) => m.wallSeconds),
  };
}

/** Resources the program declared for a fleet, by mirror count, from whichever row measured it first. */
const declared = new Map<number, number>();

/** The SDK alone, on the CLI's path, registering as many (empty) resources as the fleet program does. */
async function viaFloor(fleet: Record<string, any>, mirrors: number): Promise<Measured> {
  const resources = declared.get(mirrors) ?? viaMocks(fleet).resources;
  const run = await sdkFloor(resources, root, cliBin);
  return {
    resources: run.registrations - 1,
    wallSeconds: run.wallSeconds,
    cpuSeconds: run.cpuSeconds,
    peakRssMb: run.peakRssMb,
  };
}

const current = projectRuntime(root).options;
const ways: Record<
  string,
  { label: string; measure: (fleet: Record<string, any>, mirrors: number) => Promise<Measured> | Measured }
> = {
  cli: {
    label: `cli ${typeof current.nodeargs === "string" ? current.nodeargs : "ts-node"}`,
    measure: (f) => viaCli(f),
  },
  "cli-ts-node": { label: "cli ts-node (typecheck)", measure: (f) => viaCli(f, { typescript: true }) },
  mocks: { label: "mocks tsx", measure: viaMocks },
  floor: { label: "sdk floor (empty resources, the project's loader, the SDK changes)", measure: viaFloor },
};

async function main(): Promise<void> {
  const started = new Date();
  const table = [`${"how".padEnd(26)}  mirrors  resources  wall s  cpu s  peak RSS MB`];
  const recorded: Row<"program-scale">[] = [];
  for (const mirrors of sizes) {
    const fleet = homeFleetWithMirrors(mirrors);
    for (const row of rows) {
      const way = ways[row];
      if (!way) throw new Error(`unknown row ${row}: one of ${Object.keys(ways).join(", ")}`);
      const how = row as Row<"program-scale">["how"];
      let line: string;
      try {
        const m = await medianOf(() => way.measure(fleet, mirrors));
        if (row !== "floor") declared.set(mirrors, m.resources);
        recorded.push({ status: "measured", how, label: way.label, mirrors, ...m });
        line = `${way.label.padEnd(26)}  ${String(mirrors).padStart(7)}  ${String(m.resources).padStart(9)}  ${m.wallSeconds.toFixed(2).padStart(6)}  ${m.cpuSeconds.toFixed(2).padStart(5)}  ${m.peakRssMb.toFixed(0).padStart(11)}`;
      } catch (err) {
        const error = (err as Error).message.split("\n")[0].slice(0, 120);
        recorded.push({ status: "failed", how, label: way.label, mirrors, error });
        line = `${way.label.padEnd(26)}  ${String(mirrors).padStart(7)}  failed: ${error}`;
      }
      table.push(line);
      console.log(line);
    }
  }
  writeFileSync(1, `\n${table.join("\n")}\n`);
  const what =
    `program evaluation of the home stack with N mirrors: wall, CPU and peak RSS of the program process (medians of ${runs} runs), ` +
    "run by the project's language host with Pulumi.yaml's options against a stand-in engine (cli), " +
    "with the former ts-node options, under mocks, and the SDK alone (sdk floor)";
  console.log(`results: ${recordResults("program-scale", what, started, recorded)}`);
}

void main();
