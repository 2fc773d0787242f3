/**
 * The lab-scaling bench's program clock (bench/support/program-clock.cjs) times the program's main
 * module, src/index.ts, as the CLI's runner loads it with Pulumi.yaml's node arguments: not one of
 * the helpers the preloaded program loader requires from the project before it (which it once took
 * for the program, timing 0.1 s of a 3.5 s program).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runThroughLanguageHost } from "../../bench/support/language-host-run";
import { ensureCli } from "../lab/pulumi-stack";
import { homeStackConfig, stackFleet } from "../program/evaluate";

const root = join(__dirname, "..", "..");

test("the program clock records src/index.ts, loaded and evaluated", { timeout: 120_000 }, async () => {
  const fleet = stackFleet("home");
  const scratch = mkdtempSync(join(tmpdir(), "lyra-program-clock-"));
  const log = join(scratch, "clock.jsonl");
  // What the program process had loaded when it exited: the clock must not change it.
  const loadedLog = join(scratch, "loaded.txt");
  const loadedProbe = join(scratch, "loaded-probe.cjs");
  writeFileSync(
    loadedProbe,
    `if (process.argv.some((a) => a.includes("cmd/run"))) process.on("exit", () => require("fs").writeFileSync(` +
      `${JSON.stringify(loadedLog)}, Object.keys(require.cache).join("\\n")));`,
  );
  try {
    const run = await runThroughLanguageHost({
      project: root,
      cliBin: ensureCli(),
      stack: "home",
      ...homeStackConfig(fleet),
      env: {
        NODE_OPTIONS: `--require ${join(root, "bench", "support", "program-clock.cjs")} --require ${loadedProbe}`,
        LYRA_PROGRAM_CLOCK_LOG: log,
      },
    });
    // The SDK preload, loaded after the clock, keeps TypeScript's compiler unloaded: a clock that
    // took itself out of the loader chain took the preload out with it (58 MB and 0.4 s more).
    const loaded = readFileSync(loadedLog, "utf8").split("\n");
    assert.ok(
      loaded.some((file) => file.endsWith(join("src", "fleet", "sdk-preload.cjs"))),
      "the probe saw the preload",
    );
    assert.deepEqual(
      loaded.filter((file) => file.includes(`${join("node_modules", "typescript")}/`)),
      [],
      "TypeScript's compiler loaded",
    );
    assert.ok(run.nodeArgs.includes("lyra-fleet/program-loader"), run.nodeArgs.join(" "));
    const records = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.equal(records.length, 1, "one record: the program process only");
    const [{ file, startedMs, loadStartMs, evaluatedMs, exitedMs, maxRssKb, cpuMs }] = records;
    assert.equal(file, join(root, "src", "index.ts"));
    assert.ok(startedMs <= loadStartMs && loadStartMs <= evaluatedMs, JSON.stringify(records[0]));
    assert.ok(evaluatedMs <= exitedMs, JSON.stringify(records[0]));
    // The process's own figures, as GNU time measured them around the same process (within 10 %).
    assert.ok(Math.abs(maxRssKb / 1024 - run.peakRssMb) <= run.peakRssMb / 10, `${maxRssKb} KB, ${run.peakRssMb} MB`);
    assert.ok(cpuMs > 0 && cpuMs / 1000 <= run.cpuSeconds + 0.05, `${cpuMs} ms, ${run.cpuSeconds} s`);
    assert.ok(run.registrations > 1, "the program declared its resources");
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
