/** The program benches' command line (bench/support/bench-args.ts). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { benchArgs } from "../../bench/support/bench-args";

const defaults = { runs: 5, sizes: [10, 1000] };

test("mirror counts are the bare numbers; a flag's value is never one", () => {
  const parsed = benchArgs(["100", "--runs", "3", "20", "--rows", "cli,floor"], defaults);
  assert.deepEqual(parsed.sizes, [100, 20]);
  assert.equal(parsed.runs, 3);
  assert.equal(parsed.option("--rows"), "cli,floor");
});

test("no counts and no --runs: the defaults, the first size included", () => {
  assert.deepEqual(benchArgs([], defaults).sizes, [10, 1000]);
  const parsed = benchArgs(["10"], defaults);
  assert.deepEqual(parsed.sizes, [10]);
  assert.equal(parsed.runs, 5);
});

test("--runs that is not a whole number of at least 1 is refused, naming the flag", () => {
  for (const bad of ["0", "2.5", "x"])
    assert.throws(() => benchArgs(["--runs", bad], defaults), /--runs: expected a whole number of runs, at least 1/);
});
