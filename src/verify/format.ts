/**
 * How verify reads to a person (a table, a summary) and to a machine (JSON). Everything printed
 * goes through `scrub`, so a secret that slipped into an error message still never reaches output.
 */
import { scrubSecrets } from "../host/transport/errors";
import type { FleetModel } from "../model/fleet";
import { addressMap } from "./reach";
import type { CheckResult, RunReport, VerifyCheck } from "./types";
import type { WatchReport } from "./watch";

export interface Style {
  color: boolean;
}

const paint = (on: boolean, code: string, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** The check's name without its "<host>: " prefix (the host has its own column). */
export function checkLabel(host: string, name: string): string {
  return name.startsWith(`${host}: `) ? name.slice(host.length + 2) : name;
}

export function latency(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export interface Columns {
  host: number;
  check: number;
}

export function columnsFor(checks: readonly VerifyCheck[]): Columns {
  return {
    host: Math.max(4, ...checks.map((c) => c.host.length)),
    check: Math.max(5, ...checks.map((c) => checkLabel(c.host, c.check.name).length)),
  };
}

export function headerRow(cols: Columns): string {
  return `${"host".padEnd(cols.host)}  ${"check".padEnd(cols.check)}  ${"latency".padStart(7)}  result`;
}

/** One line per check; `result` undefined means still running. */
export function row(vc: VerifyCheck, result: CheckResult | undefined, cols: Columns, style: Style): string {
  const head = `${vc.host.padEnd(cols.host)}  ${checkLabel(vc.host, vc.check.name).padEnd(cols.check)}`;
  if (!result) return `${head}  ${"".padStart(7)}  ${paint(style.color, "2", "running…")}`;
  const verdict = result.ok ? paint(style.color, "32", "pass") : paint(style.color, "31;1", "FAIL");
  return `${head}  ${latency(result.latencyMs).padStart(7)}  ${verdict}  ${result.detail}`;
}

export function table(checks: readonly VerifyCheck[], results: readonly CheckResult[], style: Style): string[] {
  const cols = columnsFor(checks);
  return [headerRow(cols), ...checks.map((vc, i) => row(vc, results[i], cols, style))];
}

/** The line saying hosts are reached at their stack addresses, not their DNS names. */
export function reachLine(fleet: FleetModel): string | undefined {
  const map = addressMap(fleet);
  if (map.length === 0) return undefined;
  return `reaching hosts at their stack addresses, not their DNS names: ${map.map((m) => `${m.fqdn} -> ${m.address}`).join(", ")}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function summaryLines(report: RunReport, style: Style, watch?: WatchReport): string[] {
  const total = report.passed + report.failed;
  const verdict =
    report.failed === 0
      ? paint(style.color, "32;1", "all passed")
      : paint(style.color, "31;1", `${report.failed} failed`);
  const lines = [
    `verify: ${plural(total, "check")}, ${report.passed} passed, ${verdict} in ${latency(report.durationMs)}`,
  ];
  for (const cause of report.causes) {
    lines.push(`  ${cause.message}; ${plural(cause.checks.length, "check")} depend on it: ${cause.checks.join(", ")}`);
  }
  if (watch) {
    const ttr = watch.timeToRecoveryMs === null ? "" : ` (time to recovery ${latency(watch.timeToRecoveryMs)})`;
    lines.push(`watch: ${watch.outcome}${ttr}`);
  }
  return lines;
}

export interface JsonOutput {
  stack: string;
  ok: boolean;
  /** Start of the first run, end of the last one. */
  startedAt: string;
  finishedAt: string;
  /** Duration of the last run. */
  durationMs: number;
  passed: number;
  failed: number;
  addressMap: ReturnType<typeof addressMap>;
  /** Hosts with a failed check in any run (with --watch, also the runs before recovery). */
  failingHosts: string[];
  causes: RunReport["causes"];
  results: (CheckResult & { via: string })[];
  watch?: { runs: WatchReport["runs"]; recovered: boolean; timeToRecoveryMs: number | null; outcome: string };
}

export function toJson(
  stack: string,
  fleet: FleetModel,
  checks: readonly VerifyCheck[],
  report: RunReport,
  watch?: WatchReport,
): JsonOutput {
  return {
    stack,
    ok: report.failed === 0,
    startedAt: watch?.runs[0]?.startedAt ?? report.startedAt,
    finishedAt: new Date(Date.parse(report.startedAt) + report.durationMs).toISOString(),
    durationMs: report.durationMs,
    passed: report.passed,
    failed: report.failed,
    addressMap: addressMap(fleet),
    failingHosts: watch?.failingHosts ?? [...new Set(report.results.filter((r) => !r.ok).map((r) => r.host))].sort(),
    causes: report.causes,
    results: report.results.map((r, i) => ({ ...r, via: checks[i].via })),
    ...(watch
      ? {
          watch: {
            runs: watch.runs,
            recovered: watch.recovered,
            timeToRecoveryMs: watch.timeToRecoveryMs,
            outcome: watch.outcome,
          },
        }
      : {}),
  };
}

export function scrub(text: string, secrets: readonly string[]): string {
  return scrubSecrets(text, secrets);
}
