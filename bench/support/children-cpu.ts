/**
 * The CPU time of everything this process has started and waited for: its children and, through
 * them, every descendant they waited for in turn (Linux's cutime and cstime, /proc/self/stat). Taken
 * before and after one `pulumi` command, the difference is the whole command's CPU: the CLI and its
 * engine, the language host, the program and the dynamic provider, on every core.
 *
 * Node waits for each child it spawns, so a bench that runs one command at a time measures exactly
 * that command. A descendant no one waits for (orphaned, then reaped by init) is not counted.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second, the unit of /proc's CPU times (`getconf CLK_TCK`). */
let ticksPerSecond: number | undefined;

/** The waited-for children's user and system time, in seconds, from a /proc/PID/stat line. */
export function childrenCpuFromStat(stat: string, ticks: number): number {
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself: the
  // fields counted from the last ")" are the 3rd onwards.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cutime = Number(fields[16 - 3]);
  const cstime = Number(fields[17 - 3]);
  if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) throw new Error(`not a /proc stat line: ${stat}`);
  return (cutime + cstime) / ticks;
}

/** The CPU seconds of this process's waited-for children so far. */
export function childrenCpuSeconds(): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  return childrenCpuFromStat(readFileSync("/proc/self/stat", "utf8"), ticksPerSecond);
}
