import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { childrenCpuFromStat, childrenCpuSeconds } from "../../bench/support/children-cpu";

test("children's CPU is read from the fields after the command name, whatever that name holds", () => {
  // Fields 14-17: utime 700, stime 80, cutime 1234, cstime 66 (clock ticks).
  const rest = "S 1 2 3 0 -1 4194560 100 200 0 0 700 80 1234 66 20 0 1 0 5 6 7";
  assert.equal(childrenCpuFromStat(`4242 (node) ${rest}`, 100), 13);
  assert.equal(childrenCpuFromStat(`4242 (a (b) c) ${rest}`, 100), 13);
  assert.throws(() => childrenCpuFromStat("4242 (node) S 1", 100), /not a \/proc stat line/);
});

test("a child's CPU time shows up once it is waited for, and an idle child's hardly at all", () => {
  const before = childrenCpuSeconds();
  // A child that spends half a second of its own CPU, however fast or loaded the machine.
  execFileSync(process.execPath, ["-e", "while (process.cpuUsage().user < 500000);"]);
  const busy = childrenCpuSeconds() - before;
  assert.ok(busy >= 0.45, `a child that spent 0.5 s of CPU counted ${busy} s`);
  const idleBefore = childrenCpuSeconds();
  execFileSync("sleep", ["0.5"]);
  const idle = childrenCpuSeconds() - idleBefore;
  assert.ok(idle < 0.1, `an idle child counted ${idle} s of CPU`);
});
