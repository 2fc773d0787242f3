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
import { ensureLab, wipeHost } from "../test/lab/lab";
import { labStack, type LabStack } from "../test/lab/pulumi-lab";

const hosts = ["lyra", "vega", "mirror-1"];
const sum = (counts: Record<string, HostCounters>, key: keyof HostCounters) =>
  Object.values(counts).reduce((n, c) => n + c[key], 0);

async function timed(stack: LabStack, args: string[]): Promise<string> {
  stack.resetCounters();
  const run = await stack.pulumi([...args, "--stack", "lab"]);
  if (run.code !== 0)
    throw new Error(`pulumi ${args.join(" ")} failed (exit ${run.code}):\n${run.output.slice(-4000)}`);
  const counts = stack.counters();
  const waits = stack.hostWaits().map((w): Interval => [w.startMs, w.endMs]);
  // Time some host was being waited on (SSH and the host's own work, overlaps once), and the
  // longest single command: how long the slowest host read or write took.
  const hostSeconds = coveredMs(waits, [-Infinity, Infinity]) / 1000;
  const longest = Math.max(0, ...waits.map(([start, end]) => end - start)) / 1000;
  return [
    (run.ms / 1000).toFixed(1).padStart(6),
    String(sum(counts, "remoteCommands")).padStart(8),
    String(sum(counts, "remoteWrites")).padStart(6),
    String(sum(counts, "unitRestarts")).padStart(8),
    hostSeconds.toFixed(2).padStart(6),
    longest.toFixed(2).padStart(7),
  ].join("  ");
}

async function phase(stack: LabStack, name: string): Promise<string[]> {
  return [
    `${name.padEnd(7)}  preview  ${await timed(stack, ["preview"])}`,
    `${name.padEnd(7)}  up       ${await timed(stack, ["up", "--yes"])}`,
  ];
}

async function main(): Promise<void> {
  const lab = await ensureLab();
  for (const host of hosts) await wipeHost(host);
  const stack = await labStack({ fresh: true });
  const rows = ["phase    command  wall s  commands  writes  restarts  host s  max cmd s"];
  rows.push(...(await phase(stack, "first")));
  rows.push(...(await phase(stack, "no-op")));
  const edit = await lab.sshExec("vega", "echo 'allow_anonymous true' >> /etc/mosquitto/lyra/mosquitto.conf");
  if (edit.code !== 0) throw new Error(`editing vega's broker config failed: ${edit.stderr}`);
  rows.push(...(await phase(stack, "repair")));
  console.log(
    `lab-converge bench: ${hosts.join(", ")} (stacks/Pulumi.lab.yaml) by the Pulumi CLI, Node ${process.version}`,
  );
  console.log(rows.join("\n"));
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
