/**
 * `--watch`: run again until every check passes or the deadline comes, and say how long recovery
 * took. Time to recovery runs from the start of the first run to the end of the first green run:
 * the moment verify first saw the whole fleet back. When the first run is already green the fleet
 * recovered before verify looked, so the time is unknown (null), not zero.
 */
import { sleep } from "./context";
import type { RunReport } from "./types";

export interface WatchReport {
  /** The last run. */
  final: RunReport;
  runs: { startedAt: string; durationMs: number; passed: number; failed: number }[];
  recovered: boolean;
  timeToRecoveryMs: number | null;
  /** Hosts with a failed check in any run, sorted: what the incident affected. */
  failingHosts: string[];
  /** Why the watch stopped, one sentence. */
  outcome: string;
}

export interface WatchOptions {
  deadlineMs: number;
  /** Pause between runs. */
  intervalMs: number;
  onRun?: (report: RunReport, run: number) => void;
  /** Called before each pause, so a live display can say when the next run starts. */
  onWait?: (run: number, nextInMs: number, deadlineInMs: number) => void;
}

export async function watchUntilGreen(runOnce: () => Promise<RunReport>, options: WatchOptions): Promise<WatchReport> {
  const start = Date.now();
  const runs: WatchReport["runs"] = [];
  const failing = new Set<string>();
  for (;;) {
    const report = await runOnce();
    runs.push({
      startedAt: report.startedAt,
      durationMs: report.durationMs,
      passed: report.passed,
      failed: report.failed,
    });
    report.results.filter((r) => !r.ok).forEach((r) => failing.add(r.host));
    const failingHosts = [...failing].sort();
    options.onRun?.(report, runs.length);
    const elapsed = Date.now() - start;
    if (report.failed === 0) {
      const first = runs.length === 1;
      return {
        final: report,
        runs,
        recovered: true,
        timeToRecoveryMs: first ? null : elapsed,
        failingHosts,
        outcome: first
          ? "every check passed on the first run"
          : `recovered after ${(elapsed / 1000).toFixed(1)} s (${runs.length} runs)`,
      };
    }
    const left = options.deadlineMs - elapsed;
    if (left < options.intervalMs) {
      return {
        final: report,
        runs,
        recovered: false,
        timeToRecoveryMs: null,
        failingHosts,
        outcome: `not recovered within the ${options.deadlineMs / 1000} s deadline (${runs.length} runs, ${report.failed} checks still failing)`,
      };
    }
    options.onWait?.(runs.length, options.intervalMs, left);
    await sleep(options.intervalMs);
  }
}
