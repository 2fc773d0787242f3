/**
 * Benchmark (not a test): the lab stack converged by the real Pulumi CLI, as `npm run
 * lab:converge` does it (test/lab/pulumi-lab.ts), in three phases:
 *   first    three wiped hosts and a new stack: a new fleet, or every host rebuilt after a NAS restore;
 *   no-op    nothing changed: the target is zero writes on every host;
 *   repair   the broker's config edited by hand on Vega: one file written, one restart.
 * Each phase runs `pulumi preview` then `pulumi up`, and reports their wall times and, summed over
 * the hosts, the SSH commands, writes and unit restarts the providers made; "host s" is the time
 * some host was being waited on (SSH and the host's own work, overlaps counted once), "max cmd s"
 * the longest single remote command. The no-op's targets: 2 commands per host (the preview's and
 * the update's refresh), 0 writes, under 1 s of host time for the three hosts.
 * Wipes the lab hosts: do not run it while tests use the lab.
 *
 *   node --import tsx bench/lab-converge.ts
 */
import type { HostCounters } from "../src/host/transport/counters";
import { coveredMs, type Interval } from "./support/intervals";
import type { Row } from "./support/result-rows";
import { recordResults } from "./support/results";
import { ensureLab, wipeHost } from "../test/lab/lab";
import { labStack, type LabStack } from "../test/lab/pulumi-lab";
import { pulumiFailure } from "./support/pulumi-failure";

const hosts = ["lyra", "vega", "mirror-1"];
const sum = (counts: Record<string, HostCounters>, key: keyof HostCounters) =>
  Object.values(counts).reduce((n, c) => n + c[key], 0);

type Measured = Omit<Row<"lab-converge">, "phase" | "command">;

async function timed(stack: LabStack, args: string[]): Promise<Measured> {
  stack.resetCounters();
  const run = await stack.pulumi([...args, "--stack", "lab"]);
  if (run.code !== 0)
    throw new Error(`pulumi ${args.join(" ")} failed (exit ${run.code}):\n${pulumiFailure(run.output)}`);
  const counts = stack.counters();
  const waits = stack.hostWaits().map((w): Interval => [w.startMs, w.endMs]);
  // Time some host was being waited on (SSH and the host's own work, overlaps once), and the
  // longest single command: how long the slowest host read or write took.
  return {
    wallSeconds: run.ms / 1000,
    commands: sum(counts, "remoteCommands"),
    writes: sum(counts, "remoteWrites"),
    restarts: sum(counts, "unitRestarts"),
    hostSeconds: coveredMs(waits, [-Infinity, Infinity]) / 1000,
    maxCommandSeconds: Math.max(0, ...waits.map(([start, end]) => end - start)) / 1000,
    perHost: counts,
  };
}

function line(r: Row<"lab-converge">): string {
  return [
    r.phase.padEnd(7),
    r.command.padEnd(7),
    r.wallSeconds.toFixed(1).padStart(6),
    String(r.commands).padStart(8),
    String(r.writes).padStart(6),
    String(r.restarts).padStart(8),
    r.hostSeconds.toFixed(2).padStart(6),
    r.maxCommandSeconds.toFixed(2).padStart(7),
  ].join("  ");
}

async function phase(stack: LabStack, phase: Row<"lab-converge">["phase"]): Promise<Row<"lab-converge">[]> {
  return [
    { phase, command: "preview", ...(await timed(stack, ["preview"])) },
    { phase, command: "up", ...(await timed(stack, ["up", "--yes"])) },
  ];
}

async function main(): Promise<void> {
  const started = new Date();
  const lab = await ensureLab();
  for (const host of hosts) await wipeHost(host);
  const stack = await labStack({ fresh: true });
  const rows: Row<"lab-converge">[] = [];
  rows.push(...(await phase(stack, "first")));
  rows.push(...(await phase(stack, "no-op")));
  const edit = await lab.sshExec("vega", "echo 'allow_anonymous true' >> /etc/mosquitto/lyra/mosquitto.conf");
  if (edit.code !== 0) throw new Error(`editing vega's broker config failed: ${edit.stderr}`);
  rows.push(...(await phase(stack, "repair")));
  const what = `pulumi preview and up by the Pulumi CLI on the lab stack (${hosts.join(", ")}): wiped hosts, a no-op, a hand edit repaired`;
  console.log(
    `lab-converge bench: ${hosts.join(", ")} (stacks/Pulumi.lab.yaml) by the Pulumi CLI, Node ${process.version}`,
  );
  console.log(
    ["phase    command  wall s  commands  writes  restarts  host s  max cmd s", ...rows.map(line)].join("\n"),
  );
  console.log(`results: ${recordResults("lab-converge", what, started, rows)}`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
