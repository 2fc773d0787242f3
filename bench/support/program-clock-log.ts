/**
 * What ./program-clock.cjs recorded of the one program process of a benchmarked CLI command: its
 * figures in seconds and MB.
 */
import { readFileSync } from "node:fs";

/** One line of the log, as program-clock.cjs appends it (epoch milliseconds). */
interface ProgramClock {
  startedMs: number;
  evaluatedMs: number;
  exitedMs: number;
  maxRssKb: number;
  cpuMs: number;
}

export interface ProgramFigures {
  /** node's start to its main module run (every resource declared). */
  evaluatedSeconds: number;
  /** ... to its exit (every registration answered by the engine). */
  exitedSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

/** The figures of the only program process `log` names; throws when it names none or several. */
export function programFigures(log: string): ProgramFigures {
  const clocks = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as ProgramClock);
  if (clocks.length !== 1) throw new Error(`${log}: ${clocks.length} program processes recorded, not 1`);
  const [clock] = clocks;
  return {
    evaluatedSeconds: (clock.evaluatedMs - clock.startedMs) / 1000,
    exitedSeconds: (clock.exitedMs - clock.startedMs) / 1000,
    cpuSeconds: clock.cpuMs / 1000,
    peakRssMb: clock.maxRssKb / 1024,
  };
}
