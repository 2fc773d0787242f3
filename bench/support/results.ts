/**
 * Each bench's last measured figures, one file per bench: bench/results/<bench>.json, with what
 * was measured, when, on which commit and Node.js version, and the rows as numbers
 * (./result-rows.ts). bench/report.ts puts them all in one table. The files are committed (the
 * README's Benchmarks paragraph): most figures need the lab, and a reader should see them without one.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { z } from "zod";
import { benchNames, rowSchemas, type BenchName, type Row } from "./result-rows";

const root = join(__dirname, "..", "..");
export const resultsDir = join(root, "bench", "results");

const envelope = z.object({
  bench: z.enum(benchNames as [BenchName, ...BenchName[]]),
  /** One line: what the bench measured, on what. */
  what: z.string().min(1),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  /** HEAD when the bench ran; null outside a git checkout. */
  commit: z.string().nullable(),
  /** Whether the checkout differed from that commit (results files aside). */
  dirty: z.boolean(),
  node: z.string(),
});

export type BenchResults<B extends BenchName = BenchName> = z.infer<typeof envelope> & { bench: B; rows: Row<B>[] };
export type AllResults = { [B in BenchName]?: BenchResults<B> };

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** Writes a bench's results file, replacing its last one; returns its path. */
export function recordResults<B extends BenchName>(bench: B, what: string, startedAt: Date, rows: Row<B>[]): string {
  const commit = git(["rev-parse", "HEAD"]);
  // The results files themselves change with every run: they do not make a checkout dirty.
  const changes = commit === null ? "" : git(["status", "--porcelain", "--", ".", ":(exclude)bench/results"]);
  const results = {
    bench,
    what,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    commit,
    dirty: changes === null || changes !== "",
    node: process.version,
    rows,
  };
  // Checked as the report will read it, so a bench cannot record a figure the report refuses.
  const parsed = envelope.extend({ rows: z.array(rowSchemas[bench]) }).safeParse(results);
  if (!parsed.success) throw new Error(`${bench}: results not recorded:\n${z.prettifyError(parsed.error)}`);
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${bench}.json`);
  // Milliseconds of a millisecond and bytes of a megabyte are noise: three decimals are kept.
  const rounded = (_key: string, value: unknown) =>
    typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(results, rounded, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

/** Every results file there is, checked; a file that does not parse is a problem naming it and its fields. */
export function readResults(dir = resultsDir): { results: AllResults; problems: string[] } {
  const results: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const bench of benchNames) {
    const file = join(dir, `${bench}.json`);
    if (!existsSync(file)) continue;
    // Relative to where the report runs when inside it (bench/results/…), else the full path.
    const near = relative(process.cwd(), file);
    const name = near.startsWith("..") ? file : near;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      problems.push(`${name}: not JSON: ${(err as Error).message}`);
      continue;
    }
    const parsed = envelope.extend({ bench: z.literal(bench), rows: z.array(rowSchemas[bench]) }).safeParse(json);
    if (parsed.success) results[bench] = parsed.data;
    else problems.push(`${name}: expected ${bench}'s results:\n${z.prettifyError(parsed.error)}`);
  }
  return { results: results as AllResults, problems };
}
