/**
 * Issue 14's figures in one table, from whatever bench results exist (./results.ts): each row
 * names the bench it comes from and when that bench ran, says "not measured" when there is no such
 * figure, and sets the issue's target beside the figure where the issue gives one. Pure: results
 * in, rows and text out (bench/report.ts reads the files and prints).
 */
import type { BenchName, Row } from "./result-rows";
import type { AllResults, BenchResults } from "./results";
import { median } from "./median";

export interface ReportRow {
  figure: string;
  /** The figure, or "not measured". */
  value: string;
  /** The issue's target, or "" where it gives none. */
  target: string;
  /** Whether the figure meets the target; "" without a target or without a figure. */
  met: "yes" | "NO" | "";
  source: BenchName;
  /** When and on which commit the source bench measured it, or "-". */
  measured: string;
}

export const notMeasured = "not measured";

interface Target {
  text: string;
  met: (n: number) => boolean;
}
const atMost = (limit: number, unit = ""): Target => ({ text: `<= ${limit}${unit}`, met: (n) => n <= limit });
const under = (limit: number, unit: string): Target => ({ text: `< ${limit}${unit}`, met: (n) => n < limit });
const zero: Target = { text: "0", met: (n) => n === 0 };

/** A measured figure: its text and, when a target judges it, the number the target looks at. */
interface Figure {
  value: string;
  judged?: number;
}

const s = (seconds: number, digits = 1) => `${seconds.toFixed(digits)} s`;
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "-");
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function when(r: BenchResults): string {
  const at = r.finishedAt.slice(0, 16).replace("T", " ");
  const commit = r.commit === null ? "no commit" : `${r.commit.slice(0, 7)}${r.dirty ? "+dirty" : ""}`;
  return `${at}Z ${commit}`;
}

/** The no-op `pulumi up`'s count of `key` on its worst host, with every host's. */
function perHostMax(
  counters: Record<string, { remoteCommands: number; remoteWrites: number }>,
  key: "remoteCommands" | "remoteWrites",
): Figure {
  const hosts = Object.entries(counters);
  // A run that counted no host at all measured nothing the target could be met by.
  if (hosts.length === 0) return { value: "no host counted" };
  const worst = Math.max(...hosts.map(([, c]) => c[key]));
  return { value: `max ${worst} (${hosts.map(([h, c]) => `${h} ${c[key]}`).join(", ")})`, judged: worst };
}

/** A row that recorded its failure instead of a measurement. */
type Failed = { status: "failed"; error: string };

/**
 * A measured row's figure: none without the row; a failed measurement shows its error (and so
 * misses any target it is held to).
 */
function figureOf<R extends { status: string }>(
  row: R | undefined,
  figure: (row: Exclude<R, Failed>) => Figure,
): Figure | undefined {
  if (row === undefined) return undefined;
  if (row.status === "failed") return { value: `failed: ${(row as unknown as Failed).error}` };
  return figure(row as Exclude<R, Failed>);
}

export function reportRows(results: AllResults): ReportRow[] {
  const rows: ReportRow[] = [];
  /** One row from `source`'s results: `measure` gives undefined when they hold no such figure. */
  function add<B extends BenchName>(
    source: B,
    figure: string,
    target: Target | undefined,
    measure: (r: BenchResults<B>) => Figure | undefined,
  ): void {
    const r = results[source] as BenchResults<B> | undefined;
    const m = r && measure(r);
    rows.push({
      figure,
      value: m?.value ?? notMeasured,
      target: target?.text ?? "",
      met: !m || !target ? "" : m.judged !== undefined && target.met(m.judged) ? "yes" : "NO",
      source,
      measured: m && r ? when(r) : "-",
    });
  }

  // The no-op `pulumi up` on the three-host lab.
  const converge = (phase: Row<"lab-converge">["phase"]) => (r: BenchResults<"lab-converge">) =>
    r.rows.find((x) => x.phase === phase && x.command === "up");
  add("lab-converge", "no-op up: SSH commands per host", atMost(2), (r) => {
    const up = converge("no-op")(r);
    return up && perHostMax(up.perHost, "remoteCommands");
  });
  add("lab-converge", "no-op up: writes per host", zero, (r) => {
    const up = converge("no-op")(r);
    return up && perHostMax(up.perHost, "remoteWrites");
  });
  add("lab-converge", "no-op up: host-side time, 3 hosts", under(1, " s"), (r) => {
    const up = converge("no-op")(r);
    return up && { value: s(up.hostSeconds, 2), judged: up.hostSeconds };
  });
  add("lab-converge", "no-op up: wall time", undefined, (r) => {
    const up = converge("no-op")(r);
    return up && { value: s(up.wallSeconds) };
  });
  add("lab-converge", "first up, 3 wiped hosts: wall, commands", undefined, (r) => {
    const up = converge("first")(r);
    return up && { value: `${s(up.wallSeconds)}, ${up.commands} commands` };
  });

  // The program under the loader the CLI uses (the `cli` rows).
  const targets: Record<number, { wall?: Target; memory?: Target }> = {
    10: { wall: under(1, " s") },
    1000: { wall: under(3, " s"), memory: under(400, " MB") },
  };
  for (const mirrors of [10, 100, 1000]) {
    const measured = (how: "cli" | "floor") => (r: BenchResults<"program-scale">) =>
      r.rows.find((x) => x.how === how && x.mirrors === mirrors);
    const cli = measured("cli");
    add("program-scale", `program, ${plural(mirrors, "mirror")}: evaluation wall`, targets[mirrors]?.wall, (r) =>
      figureOf(cli(r), (row) => {
        const runs = row.wallSecondsEach ? `, median of ${row.wallSecondsEach.length} runs` : "";
        return {
          value: `${s(row.wallSeconds, 2)}, cpu ${s(row.cpuSeconds, 2)}${runs}, ${row.label}`,
          judged: row.wallSeconds,
        };
      }),
    );
    add("program-scale", `program, ${plural(mirrors, "mirror")}: peak memory`, targets[mirrors]?.memory, (r) =>
      figureOf(cli(r), (row) => ({ value: `${row.peakRssMb.toFixed(0)} MB`, judged: row.peakRssMb })),
    );
    // What the SDK costs for as many empty resources: the least any program of this shape can cost.
    add("program-scale", `program, ${plural(mirrors, "mirror")}: SDK floor`, undefined, (r) =>
      figureOf(measured("floor")(r), (row) => ({
        value: `${s(row.wallSeconds, 2)}, ${row.peakRssMb.toFixed(0)} MB, ${row.resources} empty resources`,
      })),
    );
  }

  // The same program under the real CLI and engine: a new stack's `pulumi preview`. Held to the same
  // targets, by the program process's whole life (its last registration answered), not only its
  // main module's run.
  for (const mirrors of [10, 100, 1000]) {
    const preview = (r: BenchResults<"cli-preview">) => r.rows.find((x) => x.mirrors === mirrors);
    add("cli-preview", `real preview, ${plural(mirrors, "mirror")}: program wall`, targets[mirrors]?.wall, (r) =>
      figureOf(preview(r), (row) => ({
        value:
          `${s(row.programSeconds, 2)} (declared at ${s(row.programEvaluatedSeconds, 2)}), cpu ${s(row.programCpuSeconds, 2)}; ` +
          `whole preview ${s(row.wallSeconds, 2)}, ${row.resources} resources, median of ${row.wallSecondsEach.length} runs`,
        judged: row.programSeconds,
      })),
    );
    add("cli-preview", `real preview, ${plural(mirrors, "mirror")}: program memory`, targets[mirrors]?.memory, (r) =>
      figureOf(preview(r), (row) => ({ value: `${row.programPeakRssMb.toFixed(0)} MB`, judged: row.programPeakRssMb })),
    );
    // The least any program of as many registrations costs under the same CLI and engine.
    add("cli-preview", `real preview, ${plural(mirrors, "mirror")}: SDK floor`, undefined, (r) => {
      const row = preview(r);
      const floor = row?.status === "measured" ? row.floor : undefined;
      return (
        floor && {
          value:
            `program ${s(floor.programSeconds, 2)}, cpu ${s(floor.programCpuSeconds, 2)}, ` +
            `${floor.programPeakRssMb.toFixed(0)} MB; whole preview ${s(floor.wallSeconds, 2)}, ` +
            `${floor.resources} resources that do nothing`,
        }
      );
    });
    // Where the machine's CPU goes: the program, or the rest of what the CLI runs (its engine, the
    // language host, the dynamic provider), which shares the cores with it.
    add("cli-preview", `real preview, ${plural(mirrors, "mirror")}: CPU by process`, undefined, (r) => {
      const row = preview(r);
      if (row?.status !== "measured" || row.cpuSeconds === undefined) return undefined;
      const split = (whole: number, program: number) =>
        `${s(whole, 2)}: program ${s(program, 2)}, engine, language host and provider ${s(whole - program, 2)}`;
      const floor = row.floor?.cpuSeconds === undefined ? undefined : row.floor;
      return {
        value:
          `whole preview ${split(row.cpuSeconds, row.programCpuSeconds)}` +
          (floor ? `; SDK floor ${split(floor.cpuSeconds!, floor.programCpuSeconds)}` : ""),
      };
    });
  }

  // How `pulumi up` grows with the mirrors; the no-op is held to the no-op's targets at every size.
  for (const mirrors of [1, 5, 20]) {
    for (const phase of ["first", "no-op", "change"] as const) {
      const row = (r: BenchResults<"lab-scaling">) => r.rows.find((x) => x.mirrors === mirrors && x.phase === phase);
      add("lab-scaling", `scaling, ${plural(mirrors, "mirror")}, ${phase}: wall`, undefined, (r) => {
        const x = row(r);
        return (
          x && {
            value: `${s(x.wallMs / 1000)} (program ${s(x.programMs / 1000)}, ssh ${s(x.sshMs / 1000)}, engine ${s(x.engineMs / 1000)})`,
          }
        );
      });
      const noop = phase === "no-op";
      add(
        "lab-scaling",
        `scaling, ${plural(mirrors, "mirror")}, ${phase}: per host`,
        noop ? { text: "<= 2 cmds, 0 writes", met: (bad) => bad === 0 } : undefined,
        (r) => {
          const x = row(r);
          if (!x) return undefined;
          const hosts = Object.values(x.counters);
          if (hosts.length === 0) return { value: "no host counted" };
          const cmds = Math.max(...hosts.map((c) => c.remoteCommands));
          const writes = Math.max(...hosts.map((c) => c.remoteWrites));
          const mirrorsOnly = Object.entries(x.counters).filter(([h]) => h.startsWith("mirror-"));
          const perMirror = (k: "remoteCommands" | "remoteWrites") =>
            mirrorsOnly.length ? mean(mirrorsOnly.map(([, c]) => c[k])).toFixed(1) : "-";
          return {
            value: `max ${cmds} cmds, ${writes} writes; mirror mean ${perMirror("remoteCommands")} cmds, ${perMirror("remoteWrites")} writes`,
            // Hosts over either target: 0 when both are met.
            judged: hosts.filter((c) => c.remoteCommands > 2 || c.remoteWrites > 0).length,
          };
        },
      );
    }
    add("lab-scaling", `scaling, ${plural(mirrors, "mirror")}: memory after no-op`, undefined, (r) => {
      const x = r.rows.find((y) => y.mirrors === mirrors && y.phase === "no-op");
      if (!x) return undefined;
      const all = Object.entries(x.hostMemoryMb);
      const mirrorsMb = all.filter(([h]) => h.startsWith("mirror-")).map(([, mb]) => mb);
      const hostsMb = all.reduce((n, [, mb]) => n + mb, 0);
      const each = mirrorsMb.length ? `, ${mean(mirrorsMb).toFixed(0)} MB per mirror` : "";
      return { value: `hosts ${hostsMb.toFixed(0)} MB${each}, machine ${x.machineUsedMb.toFixed(0)} MB` };
    });
  }

  // The peer: lyra-fleet over Ansible on the same host, per phase.
  for (const phase of ["first", "no-op", "one-file"] as const) {
    add("ansible-peer", `vs Ansible, ${phase}: lyra-fleet / Ansible`, undefined, (r) => {
      const a = r.rows.find((x) => x.tool === "ansible" && x.phase === phase);
      const l = r.rows.find((x) => x.tool === "lyra-fleet" && x.phase === phase);
      if (!a || !l) return undefined;
      const problems = a.problems.length + l.problems.length;
      return {
        value:
          `wall ${ratio(l.ms, a.ms)} (${s(l.ms / 1000)} / ${s(a.ms / 1000)}), ` +
          `SSH ${ratio(l.sshCommands, a.sshCommands)} (${l.sshCommands} / ${a.sshCommands})` +
          (problems > 0 ? `; ${problems} problems after it` : ""),
      };
    });
  }

  // What a host costs at the bottom: the issue compares with one fresh SSH connection (about 0.25 s).
  const readHosts = (r: BenchResults<"host-read">) => r.rows.filter((x) => x.kind === "host");
  add("host-read", "fresh SSH login + `true`, median", undefined, (r) => {
    const hosts = readHosts(r);
    return hosts.length
      ? { value: hosts.map((h) => `${h.host} ${h.loginMs.toFixed(0)}`).join(", ") + " ms" }
      : undefined;
  });
  add("host-read", "whole-host read, open connection, median", undefined, (r) => {
    const hosts = readHosts(r);
    return hosts.length
      ? { value: hosts.map((h) => `${h.host} ${h.readMs.toFixed(0)}`).join(", ") + " ms" }
      : undefined;
  });
  add("host-read", "every host read at once, fresh connections", undefined, (r) => {
    const at = r.rows.find((x) => x.kind === "together");
    return (
      at && {
        value: `median ${median(at.togetherMs).toFixed(0)} ms of ${at.togetherMs.length} (${at.hosts.length} hosts)`,
      }
    );
  });
  add("host-apply", "one host, 50 files + 10 units: no-op apply", undefined, (r) => {
    const x = r.rows.find((y) => y.phase === "no-op apply");
    return (
      x && { value: `${plural(x.roundTrips, "round trip")}, ${plural(x.writes, "write")}, ${s(x.wallSeconds, 2)}` }
    );
  });
  return rows;
}

/** The rows as an aligned table, then one line per bench: what it measured, when, on what. */
export function formatReport(rows: ReportRow[], results: AllResults): string {
  const columns = ["figure", "value", "target", "met", "source", "measured"] as const;
  const header: Record<(typeof columns)[number], string> = {
    figure: "figure",
    value: "value",
    target: "target",
    met: "met",
    source: "source",
    measured: "measured (UTC, commit)",
  };
  const widths = columns.map((c) => Math.max(header[c].length, ...rows.map((r) => r[c].length)));
  const line = (r: Record<(typeof columns)[number], string>) =>
    columns
      .map((c, i) => r[c].padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const judged = rows.filter((r) => r.met !== "");
  const targets = rows.filter((r) => r.target !== "");
  const out = [
    "issue 14's figures, from bench/results/ (npm run bench measures them all)",
    "",
    line(header),
    ...rows.map(line),
    "",
    `targets: ${judged.filter((r) => r.met === "yes").length} met, ${judged.filter((r) => r.met === "NO").length} missed, ` +
      `${targets.length - judged.length} not measured`,
    "",
  ];
  const sources = [...new Set(rows.map((r) => r.source))];
  let totalMinutes = 0;
  for (const bench of sources) {
    const r = results[bench];
    if (!r) {
      out.push(`${bench}: not measured (no bench/results/${bench}.json)`);
      continue;
    }
    const minutes = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 60_000;
    totalMinutes += minutes;
    out.push(
      `${bench}: ${r.startedAt.slice(0, 16).replace("T", " ")}Z, ${minutes.toFixed(1)} min, ` +
        `${r.commit ?? "no commit"}${r.dirty ? " (with uncommitted changes)" : ""}, Node ${r.node}: ${r.what}`,
    );
  }
  // What `npm run bench` costs, from the runs themselves (a wait for the lab's lock comes before
  // a bench's start, so it is not counted).
  const ran = sources.filter((b) => results[b]).length;
  out.push(`benches measured: ${ran} of ${sources.length}, ${totalMinutes.toFixed(1)} min in all`);
  return out.join("\n");
}
