/**
 * Benchmark (not a test): how the cost of `pulumi up` grows with the number of mirrors. For each
 * size (default 1, 5 and 20 mirrors, besides lyra and vega) the lab runs mirror-1..mirror-N
 * (`lab.sh up --mirrors N`), every host is wiped, and the scaling stack `scale-N`
 * (test/lab/pulumi-scaling.ts) is converged by the real Pulumi CLI in three phases:
 *   first    wiped hosts and a new stack;
 *   no-op    nothing changed;
 *   change   every mirror's mqtt-client.heartbeatSeconds 15 -> 20 (one setting touching every mirror).
 * Each row: the wall time and what it went to (the program: node start to its resources declared,
 * measured inside the CLI's own program processes by support/program-clock.cjs, for the preview
 * `up` runs and for the update; SSH: time at least
 * one remote command was in flight, the hosts' own work included; the engine: the rest), SSH
 * commands and writes summed and per host, when each host's commands ran (its span: the phase's
 * critical path), the hosts' memory (PSS, support/host-memory.ts) and the machine's. Per-host
 * figures go to ${LYRA_LAB_DIR}/bench-scaling-N.json.
 * Wipes the lab hosts and ends with the default 3-host lab: do not run it while tests use the lab.
 * With LYRA_LAB_LOCK=FILE each size runs under `flock FILE` on its own, so others get the lab between.
 *
 *   LYRA_LAB_LOCK=/tmp/lyra-lab.lock node --import tsx bench/lab-scaling.ts [sizes...]
 *   node --import tsx bench/lab-scaling.ts --table [sizes...]   # the table from the last runs' files
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { labDir, setLabMirrors, wipeHost } from "../test/lab/lab";
import { scalingFleet, scalingStack } from "../test/lab/pulumi-scaling";
import type { LabStack } from "../test/lab/pulumi-stack";
import type { HostCounters } from "../src/host/transport/counters";
import { hostsMemoryMb, machineUsedMb } from "./support/host-memory";
import { coveredMs, hostSpans, type Interval } from "./support/intervals";
import { median } from "./support/median";
import type { Row } from "./support/result-rows";
import { recordResults } from "./support/results";
import { pulumiFailure } from "./support/pulumi-failure";

type PhaseResult = Row<"lab-scaling">;

/** How many of a phase's slowest remote commands it records: where the hosts' time went. */
const SLOWEST = 3;

const clockPreload = join(__dirname, "support", "program-clock.cjs");
const resultFile = (mirrors: number) => join(labDir, `bench-scaling-${mirrors}.json`);

async function measure(
  stack: LabStack,
  mirrors: number,
  phase: PhaseResult["phase"],
  hosts: string[],
): Promise<PhaseResult> {
  const clockLog = join(labDir, "bench-program-clock.log");
  rmSync(clockLog, { force: true });
  stack.resetCounters();
  const started = Date.now();
  const run = await stack.pulumi(["up", "--yes", "--stack", stack.stack], {
    env: {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${clockPreload}`.trim(),
      LYRA_PROGRAM_CLOCK_LOG: clockLog,
    },
  });
  const ended = Date.now();
  if (run.code !== 0)
    throw new Error(`${mirrors} mirrors, ${phase}: pulumi up failed (exit ${run.code}):\n${pulumiFailure(run.output)}`);
  // `up` runs the program twice: for its preview, then for the update.
  const program = readFileSync(clockLog, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { startedMs: number; evaluatedMs: number })
    .map((clock): Interval => [clock.startedMs, clock.evaluatedMs]);
  if (program.length === 0) throw new Error(`${phase}: the program's clock recorded no run`);
  const waits = stack.hostWaits();
  const ssh: Interval[] = waits.map((w) => [w.startMs, w.endMs]);
  const window: Interval = [started, ended];
  return {
    mirrors,
    phase,
    wallMs: ended - started,
    programMs: coveredMs(program, window),
    sshMs: coveredMs(ssh, window),
    engineMs: ended - started - coveredMs([...program, ...ssh], window),
    counters: stack.counters(),
    slowest: waits
      .map((w) => ({ host: w.host, purpose: w.purpose, ms: w.endMs - w.startMs }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, SLOWEST),
    hostSpans: hostSpans(waits, window),
    hostMemoryMb: hostsMemoryMb(hosts),
    machineUsedMb: machineUsedMb(),
  };
}

/** One size, start to end, then the default lab again. */
async function runSize(mirrors: number): Promise<PhaseResult[]> {
  const results: PhaseResult[] = [];
  try {
    await setLabMirrors(mirrors);
    const hosts = ["lyra", "vega", ...Array.from({ length: mirrors }, (_, i) => `mirror-${i + 1}`)];
    await wipeHost(...hosts);
    const stack = await scalingStack(mirrors, { fresh: true });
    results.push(await measure(stack, mirrors, "first", hosts));
    results.push(await measure(stack, mirrors, "no-op", hosts));
    const changed = await scalingStack(mirrors, {
      fleet: () =>
        scalingFleet(mirrors, (services) => {
          services["mqtt-client"] = { ...services["mqtt-client"], heartbeatSeconds: 20 };
        }),
    });
    results.push(await measure(changed, mirrors, "change", hosts));
  } finally {
    await setLabMirrors(1);
  }
  return results;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function row(r: PhaseResult): string {
  const count = (host: string, key: keyof HostCounters) => r.counters[host]?.[key] ?? 0;
  const mirrors = Object.keys(r.hostMemoryMb).filter((h) => h.startsWith("mirror-"));
  const total = (key: keyof HostCounters) => Object.keys(r.counters).reduce((n, h) => n + count(h, key), 0);
  const perMirror = (key: keyof HostCounters) => mirrors.map((m) => count(m, key));
  const hostsMb = Object.values(r.hostMemoryMb).reduce((a, b) => a + b, 0);
  const cells = [
    String(r.mirrors),
    r.phase,
    seconds(r.wallMs),
    seconds(r.programMs),
    seconds(r.sshMs),
    seconds(r.engineMs),
    String(total("remoteCommands")),
    String(total("remoteWrites")),
    `${count("lyra", "remoteCommands")}/${count("vega", "remoteCommands")}`,
    `${mean(perMirror("remoteCommands")).toFixed(0)}/${Math.max(...perMirror("remoteCommands"))}`,
    `${mean(perMirror("remoteWrites")).toFixed(0)}/${Math.max(...perMirror("remoteWrites"))}`,
    hostsMb.toFixed(0),
    mean(mirrors.map((m) => r.hostMemoryMb[m])).toFixed(0),
    r.machineUsedMb.toFixed(0),
  ];
  const widths = [7, 6, 6, 9, 5, 8, 5, 6, 11, 13, 13, 9, 11, 10];
  return cells.map((c, i) => c.padStart(widths[i])).join("  ");
}

/** "  5 first: lyra 40.1 s install qdrant 1.9.0; ...": each phase's slowest commands. */
function slowestLine(r: PhaseResult): string {
  const commands = r.slowest?.map((c) => `${c.host} ${seconds(c.ms)} s ${c.purpose.slice(0, 60)}`);
  return `${String(r.mirrors).padStart(3)} ${r.phase}: ${commands?.join("; ") ?? "not recorded"}`;
}

/**
 * "20 first: lyra 0.0-52.3 s (busy 50.1 s); vega 0.0-40.2 s (...); mirrors from 41.0-44.2 s to
 * 150.3-210.1 s (busy median 101.2 s); last to finish: mirror-13": when each host's commands ran,
 * so the phase's critical path shows (the mirrors wait for vega: the broker and the config source).
 */
function spansLine(r: PhaseResult): string {
  const lead = `${String(r.mirrors).padStart(3)} ${r.phase}:`;
  const spans = r.hostSpans;
  if (!spans || Object.keys(spans).length === 0) return `${lead} not recorded`;
  const span = (host: string) =>
    spans[host]
      ? `${host} ${seconds(spans[host].startMs)}-${seconds(spans[host].endMs)} s (busy ${seconds(spans[host].busyMs)} s)`
      : `${host} no command`;
  const mirrors = Object.keys(spans).filter((h) => h.startsWith("mirror-"));
  const range = (values: number[]) => `${seconds(Math.min(...values))}-${seconds(Math.max(...values))}`;
  const of = (key: "startMs" | "endMs" | "busyMs") => mirrors.map((m) => spans[m][key]);
  const mirrorPart =
    mirrors.length === 0
      ? "no mirror command"
      : `mirrors from ${range(of("startMs"))} s to ${range(of("endMs"))} s (busy median ${seconds(median(of("busyMs")))} s)`;
  const last = Object.keys(spans).reduce((a, b) => (spans[b].endMs > spans[a].endMs ? b : a));
  return `${lead} ${span("lyra")}; ${span("vega")}; ${mirrorPart}; last to finish: ${last}`;
}

const header = [
  "mirrors  phase  wall s  program s  ssh s  engine s  cmds  writes  cmds ly/vg  cmds/mirror  writes/mirror",
  "  hosts MB  MB/mirror  machine MB",
].join("");

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === "--one") {
    const mirrors = Number(args[1]);
    runSize(mirrors)
      .then((results) => writeFileSync(resultFile(mirrors), JSON.stringify(results, null, 2)))
      .catch((err: Error) => {
        console.error(err.message);
        process.exit(1);
      });
    return;
  }
  // --table: the table again from the sizes' stored results, running nothing.
  const tableOnly = args[0] === "--table";
  const sizes = args.map(Number).filter((n) => n > 0);
  const started = new Date();
  const measured: PhaseResult[] = [];
  /** What the table shows: this run's results, or with --table the stored ones. */
  const shown: PhaseResult[] = [];
  for (const mirrors of sizes.length > 0 ? sizes : [1, 5, 20]) {
    if (tableOnly) {
      shown.push(...(JSON.parse(readFileSync(resultFile(mirrors), "utf8")) as PhaseResult[]));
      continue;
    }
    rmSync(resultFile(mirrors), { force: true });
    const self = [process.execPath, "--import", "tsx", __filename, "--one", String(mirrors)];
    const lock = process.env.LYRA_LAB_LOCK;
    const [program, ...rest] = lock ? ["flock", lock, ...self] : self;
    const child = spawnSync(program, rest, { stdio: "inherit" });
    if (child.status !== 0) throw new Error(`${mirrors} mirrors: the bench run failed (exit ${child.status})`);
    const results = JSON.parse(readFileSync(resultFile(mirrors), "utf8")) as PhaseResult[];
    measured.push(...results);
    shown.push(...results);
    console.error(`lab-scaling: ${mirrors} mirrors done`);
  }
  console.log(`lab-scaling bench: lyra, vega and N mirrors by the Pulumi CLI, Node ${process.version}`);
  console.log([header, ...shown.map(row)].join("\n"));
  console.log(
    "program: node start to resources declared; ssh: some remote command in flight (host work included);\n" +
      "engine: the rest of the wall time. cmds ly/vg: lyra's/vega's commands; x/y per mirror: mean/max;\n" +
      "hosts MB: PSS of every lab host's processes; machine MB: MemTotal - MemAvailable, after the phase.",
  );
  console.log(
    `the slowest remote commands of each phase (host, seconds, purpose):\n${shown.map(slowestLine).join("\n")}`,
  );
  console.log(
    `when each host's remote commands ran, from the phase's start (first start-last end):\n${shown.map(spansLine).join("\n")}`,
  );
  // --table prints figures of earlier runs, maybe of different days: only a run records its own.
  if (!tableOnly) {
    const what =
      "pulumi up by the Pulumi CLI on lyra, vega and N mirrors (scale-N stacks): wiped hosts, a no-op, " +
      "every mirror's heartbeat changed; wall time split into program, SSH and engine, counts per host, memory";
    console.log(`results: ${recordResults("lab-scaling", what, started, measured)}`);
  }
}

main();
