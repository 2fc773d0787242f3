/**
 * An incident record: one Markdown file per day (`entries/YYYY-MM-DD-runbook.md`, the day in the
 * site's time zone, as the operator lives it), one section per recorded action. Pure: the clock and
 * the verify results come in as arguments. Values go through the docs' own `code`/`text`, so an
 * action typed by a person can never break a table or turn into HTML.
 */
import { code, page, table, text } from "../render/docs/markdown";
import type { JsonOutput } from "../verify/format";
import { checkLabel, latency } from "../verify/format";

export interface EntryInput {
  stack: string;
  /** IANA zone of the site (fleet.site.timezone). */
  timezone: string;
  /** What the operator did, in their words. */
  action: string;
  scenario?: string;
  /** Hosts the incident touched; defaults to those with a failing check. */
  hosts?: string[];
  verify: JsonOutput;
  now: Date;
}

function parts(date: Date, timezone: string): Record<string, string> {
  const fmt = new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  });
  return Object.fromEntries(fmt.formatToParts(date).map((p) => [p.type, p.value]));
}

/** "2026-11-28" in the site's zone. */
export function localDay(date: Date, timezone: string): string {
  const p = parts(date, timezone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** "2026-11-28 03:23:35 CET" in the site's zone. */
export function localTime(date: Date, timezone: string): string {
  const p = parts(date, timezone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

export function entryFileName(date: Date, timezone: string): string {
  return `${localDay(date, timezone)}-runbook.md`;
}

/** The top of a new day's file; sections are appended below it. */
export function dayHeader(date: Date, timezone: string): string {
  const day = localDay(date, timezone);
  return page([
    `# ${day}: runbook`,
    `Incident records of ${day} (times in ${text(timezone)}), one section per recorded action, written by ${code("npm run record")}.`,
  ]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)];
}

function recoveryText(v: JsonOutput): string {
  if (!v.watch) return "not measured (verify ran once; --watch measures it)";
  if (v.watch.timeToRecoveryMs !== null)
    return `${latency(v.watch.timeToRecoveryMs)} (${v.watch.runs.length} verify runs)`;
  return v.watch.recovered
    ? "unknown: every check already passed on the first run"
    : `not recovered: ${v.watch.outcome}`;
}

/** The section for one action: facts, what was done, and the verification as metrics. */
export function entrySection(input: EntryInput): string {
  const v = input.verify;
  const { timezone } = input;
  const hosts = input.hosts ?? v.failingHosts;
  const total = v.passed + v.failed;
  const headline = input.action.split("\n")[0].trim();
  const short = headline.length > 80 ? `${headline.slice(0, 79)}…` : headline;
  const started = new Date(v.startedAt);
  const finished = new Date(v.finishedAt);
  const slowest = [...v.results].sort((a, b) => b.latencyMs - a.latencyMs)[0];
  const facts = [
    `- recorded: ${localTime(input.now, timezone)} (${input.now.toISOString()})`,
    `- stack: ${code(input.stack)}`,
    ...(input.scenario ? [`- scenario: ${text(input.scenario)}`] : []),
    `- systems affected: ${hosts.length > 0 ? hosts.map(code).join(", ") : "none found by verify (every check passed)"}`,
    `- verify: ${localTime(started, timezone)} to ${localTime(finished, timezone)}`,
  ].join("\n");
  const metrics = table(
    ["metric", "value"],
    [
      ["result", v.failed === 0 ? `all ${total} checks passed` : `**${v.failed} of ${total} checks failed**`],
      ["passed", String(v.passed)],
      ["failed", String(v.failed)],
      ["time to recovery", text(recoveryText(v))],
      ["median check latency", latency(median(v.results.map((r) => r.latencyMs)))],
      ["slowest check", slowest ? `${code(slowest.name)} (${latency(slowest.latencyMs)})` : "-"],
      ...v.causes.map((c) => ["shared cause", `${text(c.message)} (${c.checks.length} checks)`]),
    ],
  );
  const checks = table(
    ["host", "check", "result", "latency"],
    v.results.map((r) => [
      code(r.host),
      code(checkLabel(r.host, r.name)),
      `${r.ok ? "pass" : "**FAIL**"}: ${text(r.detail)}`,
      latency(r.latencyMs),
    ]),
  );
  return page([
    `## ${localTime(input.now, timezone).slice(11)}: ${text(short)}`,
    facts,
    "### What was done",
    input.action
      .split("\n")
      .map((l) => text(l))
      .join("  \n"),
    "### Verification",
    metrics,
    checks,
  ]);
}
