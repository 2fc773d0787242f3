/**
 * Benchmark (not a test): the lab stack converged as `npm run lab:converge` does it (the program
 * under mocks, the lab engine, the real providers over SSH to the three lab hosts):
 *   first    three wiped hosts and no state: a new stack, or every host rebuilt after a NAS restore;
 *   no-op    nothing changed: the target is zero writes on every host;
 *   repair   the broker's config edited by hand on Vega: one file written, one restart.
 * Reports each phase's wall time, resources, remote commands, writes and unit restarts.
 * Wipes the lab hosts: do not run it while tests use the lab.
 *
 *   node --import tsx bench/lab-converge.ts
 */
import { hostCounters, resetHostCounters } from "../src/host/counters";
import { convergeLab, forgetLabState, summarize } from "../test/lab/converge/lab-converge";
import { ensureLab, wipeHost } from "../test/lab/lab";

const hosts = ["lyra", "vega", "mirror-1"];

async function phase(name: string, prepare: () => Promise<void>): Promise<string> {
  await prepare();
  resetHostCounters();
  const result = await convergeLab();
  const failed = result.steps.filter((s) => s.op === "failed" || s.op === "skipped");
  if (failed.length > 0) throw new Error(`${name}: the converge failed:\n${summarize(result)}`);
  const c = hostCounters();
  const changed = result.steps.filter((s) => s.op !== "same").length;
  return [
    name.padEnd(7),
    (result.ms / 1000).toFixed(1).padStart(6),
    `${result.steps.length} (${changed} changed)`.padStart(15),
    String(c.remoteCommands).padStart(15),
    String(c.remoteWrites).padStart(6),
    String(c.unitRestarts).padStart(8),
  ].join("  ");
}

async function main(): Promise<void> {
  const lab = await ensureLab();
  const rows = ["phase    wall s        resources  remote commands  writes  restarts"];
  rows.push(
    await phase("first", async () => {
      for (const host of hosts) await wipeHost(host);
      forgetLabState();
    }),
  );
  rows.push(await phase("no-op", async () => {}));
  rows.push(
    await phase("repair", async () => {
      const edit = await lab.sshExec("vega", "echo 'allow_anonymous true' >> /etc/mosquitto/lyra/mosquitto.conf");
      if (edit.code !== 0) throw new Error(`editing vega's broker config failed: ${edit.stderr}`);
    }),
  );
  console.log(`lab-converge bench: ${hosts.join(", ")} (stacks/Pulumi.lab.yaml), Node ${process.version}`);
  console.log(rows.join("\n"));
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
