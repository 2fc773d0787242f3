/**
 * Benchmark (not a test): evaluating the fleet program under Pulumi mocks for fleets of 10, 100
 * and 1000 mirrors. Reports wall time and the evaluating process's peak memory (max RSS), with the
 * program loaded three ways: through tsx (as the tests load it), and through ts-node as the Pulumi
 * CLI compiles TypeScript, with type checking (the CLI's default) and without it
 * (PULUMI_NODEJS_TRANSPILE_ONLY=true). Most of the cost is the Pulumi SDK's, per resource and per
 * input property; the per-promise stack traces it would also capture are skipped by the program
 * (src/fleet/sdk-promise-stacks.ts). Targets: 1000 mirrors evaluate in under 10 s and 1 GB.
 *
 *   node --import tsx bench/program-scale.ts [mirrors...]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loaders, stackFleet, testSecrets } from "../test/program/evaluate";

const counts = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const sizes = counts.length > 0 ? counts : [10, 100, 1000];

function fleetWith(mirrors: number): Record<string, any> {
  const fleet = stackFleet("home");
  const template = fleet.hosts["mirror-1"];
  for (const name of Object.keys(fleet.hosts)) if (name.startsWith("mirror-")) delete fleet.hosts[name];
  for (let i = 1; i <= mirrors; i++) {
    fleet.hosts[`mirror-${i}`] = { ...template, address: `10.${Math.floor(i / 250) + 1}.${i % 250}.${(i % 200) + 20}` };
  }
  return fleet;
}

const results: string[] = ["loader      mirrors  resources  wall s  peak RSS MB"];
for (const mirrors of sizes)
  for (const [loader, { args, env }] of Object.entries(loaders)) {
    const fleet = fleetWith(mirrors);
    const dir = mkdtempSync(join(tmpdir(), "bench-eval-"));
    const input = join(dir, "options.json");
    writeFileSync(input, JSON.stringify({ stack: "home", fleet, secrets: testSecrets(fleet), record: false }));
    const out = join(dir, "result.json");
    // GNU time's %M: the child's peak resident memory, in KB.
    // A large heap limit so the figure is measured rather than cut off by Node's default (~4 GB).
    const run = spawnSync(
      "/usr/bin/time",
      ["-f", "%e %M", process.execPath, "--max-old-space-size=16384", ...args, "test/program/evaluate-main.ts", out],
      {
        input: readFileSync(input),
        env: { ...process.env, ...env },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const [wall, maxKb] = run.stderr.trim().split("\n").pop()!.split(" ").map(Number);
    if (run.status !== 0)
      throw new Error(
        `evaluation of ${mirrors} mirrors (${loader}) failed (exit ${run.status}):\n${run.stderr.slice(-2000)}`,
      );
    const parsed = JSON.parse(readFileSync(out, "utf8"));
    if (parsed.error) throw new Error(parsed.error.message);
    results.push(
      `${loader.padEnd(10)}  ${String(mirrors).padStart(7)}  ${String(parsed.count).padStart(9)}  ${wall.toFixed(1).padStart(6)}  ${(maxKb / 1024).toFixed(0).padStart(11)}`,
    );
    console.log(results.at(-1));
  }
console.log(results.join("\n"));
