import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { HostCounters } from "../../src/host/transport/counters";
import type { BenchName, Row } from "../../bench/support/result-rows";
import { formatReport, notMeasured, reportRows, type ReportRow } from "../../bench/support/report-table";
import { readResults, type AllResults, type BenchResults } from "../../bench/support/results";

function results<B extends BenchName>(bench: B, rows: Row<B>[]): BenchResults<B> {
  return {
    bench,
    what: `${bench} measured for the test`,
    startedAt: "2026-12-05T07:00:00.000Z",
    finishedAt: "2026-12-05T07:04:30.000Z",
    commit: "0123456789abcdef0123456789abcdef01234567",
    dirty: false,
    node: "v20.20.2",
    rows,
  } as BenchResults<B>;
}

const counters = (remoteCommands: number, remoteWrites = 0): HostCounters => ({
  connectionsOpened: 1,
  remoteCommands,
  remoteWrites,
  unitRestarts: 0,
  unitStarts: 0,
  unitStartRetries: 0,
  aptInstalls: 0,
});

function noOpConverge(perHost: Record<string, HostCounters>, hostSeconds: number): BenchResults<"lab-converge"> {
  const row = (phase: Row<"lab-converge">["phase"], command: Row<"lab-converge">["command"]) => ({
    phase,
    command,
    wallSeconds: 4.2,
    commands: Object.values(perHost).reduce((n, c) => n + c.remoteCommands, 0),
    writes: 0,
    restarts: 0,
    hostSeconds,
    maxCommandSeconds: 0.3,
    perHost,
  });
  return results("lab-converge", [row("no-op", "preview"), row("no-op", "up")]);
}

const program = (mirrors: number, wallSeconds: number, peakRssMb: number): Row<"program-scale"> => ({
  status: "measured",
  how: "cli",
  label: "cli --require tsx/cjs",
  mirrors,
  resources: mirrors * 3 + 13,
  wallSeconds,
  cpuSeconds: wallSeconds,
  peakRssMb,
});

const byFigure = (rows: ReportRow[], figure: string): ReportRow => {
  const row = rows.find((r) => r.figure === figure);
  assert.ok(row, `no row "${figure}" in: ${rows.map((r) => r.figure).join(" | ")}`);
  return row;
};

test("without results every figure is 'not measured', still naming its bench and the issue's target", () => {
  const rows = reportRows({});
  assert.ok(rows.length > 0);
  for (const r of rows) {
    assert.equal(r.value, notMeasured, r.figure);
    assert.equal(r.met, "", r.figure);
    assert.equal(r.measured, "-", r.figure);
  }
  assert.deepEqual([...new Set(rows.map((r) => r.source))].sort(), [
    "ansible-peer",
    "cli-preview",
    "host-apply",
    "host-read",
    "lab-converge",
    "lab-scaling",
    "program-scale",
  ]);
  assert.equal(byFigure(rows, "no-op up: SSH commands per host").target, "<= 2");
  assert.equal(byFigure(rows, "no-op up: writes per host").target, "0");
  assert.equal(byFigure(rows, "no-op up: host-side time, 3 hosts").target, "< 1 s");
  assert.equal(byFigure(rows, "program, 10 mirrors: evaluation wall").target, "< 1 s");
  assert.equal(byFigure(rows, "program, 100 mirrors: evaluation wall").target, "");
  assert.equal(byFigure(rows, "program, 1000 mirrors: evaluation wall").target, "< 3 s");
  assert.equal(byFigure(rows, "program, 1000 mirrors: peak memory").target, "< 400 MB");
  assert.equal(byFigure(rows, "real preview, 10 mirrors: program wall").target, "< 1 s");
  assert.equal(byFigure(rows, "real preview, 1000 mirrors: program wall").target, "< 3 s");
  assert.equal(byFigure(rows, "real preview, 1000 mirrors: program memory").target, "< 400 MB");
  const text = formatReport(rows, {});
  assert.match(text, /^no-op up: SSH commands per host +not measured +<= 2 +lab-converge +-$/m);
  assert.match(text, /^targets: 0 met, 0 missed, 12 not measured$/m);
  assert.match(text, /^lab-scaling: not measured \(no bench\/results\/lab-scaling\.json\)$/m);
});

test("figures that meet the issue's targets, at their bounds, are marked met", () => {
  const all: AllResults = {
    "lab-converge": noOpConverge({ lyra: counters(2), vega: counters(2), "mirror-1": counters(1) }, 0.99),
    "program-scale": results("program-scale", [program(10, 0.99, 200), program(1000, 2.99, 399)]),
  };
  const rows = reportRows(all);
  const commands = byFigure(rows, "no-op up: SSH commands per host");
  assert.deepEqual(
    { value: commands.value, met: commands.met, measured: commands.measured },
    { value: "max 2 (lyra 2, vega 2, mirror-1 1)", met: "yes", measured: "2026-12-05 07:04Z 0123456" },
  );
  assert.equal(byFigure(rows, "no-op up: writes per host").met, "yes");
  assert.deepEqual(
    [
      byFigure(rows, "no-op up: host-side time, 3 hosts").value,
      byFigure(rows, "no-op up: host-side time, 3 hosts").met,
    ],
    ["0.99 s", "yes"],
  );
  assert.equal(byFigure(rows, "program, 10 mirrors: evaluation wall").met, "yes");
  assert.equal(byFigure(rows, "program, 1000 mirrors: evaluation wall").met, "yes");
  assert.deepEqual(
    [
      byFigure(rows, "program, 1000 mirrors: peak memory").value,
      byFigure(rows, "program, 1000 mirrors: peak memory").met,
    ],
    ["399 MB", "yes"],
  );
  // A measured figure without a target is shown, not judged; one the run did not reach is not measured.
  assert.deepEqual(
    [byFigure(rows, "program, 10 mirrors: peak memory").value, byFigure(rows, "program, 10 mirrors: peak memory").met],
    ["200 MB", ""],
  );
  assert.equal(byFigure(rows, "program, 100 mirrors: evaluation wall").value, notMeasured);
  assert.equal(byFigure(rows, "program, 100 mirrors: evaluation wall").measured, "-");
  assert.match(formatReport(rows, all), /^targets: 6 met, 0 missed, 6 not measured$/m);
});

test("figures past the issue's targets are marked missed, and a failed measurement misses its target", () => {
  const all: AllResults = {
    "lab-converge": noOpConverge({ lyra: counters(2), vega: counters(3, 1), "mirror-1": counters(2) }, 1),
    "program-scale": results("program-scale", [
      { status: "failed", how: "cli", label: "cli --require tsx/cjs", mirrors: 10, error: "the program failed: boom" },
      program(1000, 3, 400),
    ]),
  };
  const rows = reportRows(all);
  assert.deepEqual(
    [byFigure(rows, "no-op up: SSH commands per host").value, byFigure(rows, "no-op up: SSH commands per host").met],
    ["max 3 (lyra 2, vega 3, mirror-1 2)", "NO"],
  );
  assert.deepEqual(
    [byFigure(rows, "no-op up: writes per host").value, byFigure(rows, "no-op up: writes per host").met],
    ["max 1 (lyra 0, vega 1, mirror-1 0)", "NO"],
  );
  assert.equal(byFigure(rows, "no-op up: host-side time, 3 hosts").met, "NO");
  const failed = byFigure(rows, "program, 10 mirrors: evaluation wall");
  assert.deepEqual([failed.value, failed.met], ["failed: the program failed: boom", "NO"]);
  assert.equal(byFigure(rows, "program, 1000 mirrors: evaluation wall").met, "NO");
  assert.equal(byFigure(rows, "program, 1000 mirrors: peak memory").met, "NO");
  const text = formatReport(rows, all);
  assert.match(text, /^targets: 0 met, 6 missed, 6 not measured$/m);
  assert.match(text, /^benches measured: 2 of 7, 9\.0 min in all$/m);
  assert.match(
    text,
    /^program-scale: 2026-12-05 07:00Z, 4\.5 min, 0123456789abcdef0123456789abcdef01234567, Node v20\.20\.2: /m,
  );
});

const preview = (
  mirrors: number,
  programSeconds: number,
  programPeakRssMb: number,
): Extract<Row<"cli-preview">, { status: "measured" }> => ({
  status: "measured",
  mirrors,
  resources: mirrors * 2 + 7,
  wallSeconds: programSeconds + 0.5,
  programEvaluatedSeconds: programSeconds / 2,
  programSeconds,
  programCpuSeconds: programSeconds,
  programPeakRssMb,
  wallSecondsEach: [programSeconds + 0.5],
});

test("the real preview is held to the program's targets by the program process's whole life", () => {
  const met = reportRows({ "cli-preview": results("cli-preview", [preview(10, 0.99, 150), preview(1000, 2.99, 399)]) });
  const wall = byFigure(met, "real preview, 1000 mirrors: program wall");
  assert.deepEqual(
    [wall.value, wall.met],
    ["2.99 s (declared at 1.50 s), cpu 2.99 s; whole preview 3.49 s, 2007 resources, median of 1 runs", "yes"],
  );
  assert.equal(byFigure(met, "real preview, 10 mirrors: program wall").met, "yes");
  assert.deepEqual(
    [
      byFigure(met, "real preview, 1000 mirrors: program memory").value,
      byFigure(met, "real preview, 1000 mirrors: program memory").met,
    ],
    ["399 MB", "yes"],
  );
  const missed = reportRows({
    "cli-preview": results("cli-preview", [
      { status: "failed", mirrors: 10, error: "pulumi preview exited 255" },
      preview(1000, 3, 400),
    ]),
  });
  const failed = byFigure(missed, "real preview, 10 mirrors: program wall");
  assert.deepEqual([failed.value, failed.met], ["failed: pulumi preview exited 255", "NO"]);
  assert.equal(byFigure(missed, "real preview, 1000 mirrors: program wall").met, "NO");
  assert.equal(byFigure(missed, "real preview, 1000 mirrors: program memory").met, "NO");
  assert.equal(byFigure(missed, "real preview, 100 mirrors: program wall").value, notMeasured);
});

test("the real preview's SDK floor is shown beside it, without a target; results from before it show none", () => {
  const withFloor: Row<"cli-preview"> = {
    ...preview(1000, 8.3, 331),
    floor: { resources: 2006, wallSeconds: 3.71, programSeconds: 3.06, programCpuSeconds: 2.52, programPeakRssMb: 200 },
  };
  const rows = reportRows({ "cli-preview": results("cli-preview", [preview(10, 0.8, 114), withFloor]) });
  const floor = byFigure(rows, "real preview, 1000 mirrors: SDK floor");
  assert.deepEqual(
    [floor.value, floor.target, floor.met],
    ["program 3.06 s, cpu 2.52 s, 200 MB; whole preview 3.71 s, 2006 resources that do nothing", "", ""],
  );
  assert.equal(byFigure(rows, "real preview, 10 mirrors: SDK floor").value, notMeasured);
  assert.equal(byFigure(rows, "real preview, 10 mirrors: SDK floor").measured, "-");
});

test("the scaling no-op is held to the no-op's targets on every host; the Ansible rows are ratios", () => {
  const phase = (p: Row<"lab-scaling">["phase"], mirrorCommands: number): Row<"lab-scaling"> => ({
    mirrors: 5,
    phase: p,
    wallMs: 20_000,
    programMs: 5_000,
    sshMs: 6_000,
    engineMs: 9_000,
    counters: {
      lyra: counters(2),
      vega: counters(2),
      ...Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`mirror-${i}`, counters(i === 5 ? mirrorCommands : 2)])),
    },
    slowest: [{ host: "vega", purpose: "read host state", ms: 400 }],
    hostMemoryMb: {
      lyra: 100,
      vega: 80,
      "mirror-1": 40,
      "mirror-2": 40,
      "mirror-3": 40,
      "mirror-4": 40,
      "mirror-5": 40,
    },
    machineUsedMb: 2048,
  });
  const peer = (tool: "ansible" | "lyra-fleet", ms: number, sshCommands: number): Row<"ansible-peer"> => ({
    tool,
    phase: "no-op",
    ms,
    sshCommands,
    changes: 0,
    problems: [],
  });
  const all: AllResults = {
    "lab-scaling": results("lab-scaling", [phase("first", 9), phase("no-op", 2)]),
    "ansible-peer": results("ansible-peer", [peer("ansible", 8000, 29), peer("lyra-fleet", 2000, 2)]),
  };
  const rows = reportRows(all);
  const noop = byFigure(rows, "scaling, 5 mirrors, no-op: per host");
  assert.deepEqual(
    [noop.value, noop.target, noop.met],
    ["max 2 cmds, 0 writes; mirror mean 2.0 cmds, 0.0 writes", "<= 2 cmds, 0 writes", "yes"],
  );
  // The first converge has no target: shown, not judged.
  assert.deepEqual(
    [
      byFigure(rows, "scaling, 5 mirrors, first: per host").met,
      byFigure(rows, "scaling, 5 mirrors, first: per host").value,
    ],
    ["", "max 9 cmds, 0 writes; mirror mean 3.4 cmds, 0.0 writes"],
  );
  assert.equal(
    byFigure(rows, "scaling, 5 mirrors, no-op: wall").value,
    "20.0 s (program 5.0 s, ssh 6.0 s, engine 9.0 s)",
  );
  assert.equal(
    byFigure(rows, "scaling, 5 mirrors: memory after no-op").value,
    "hosts 380 MB, 40 MB per mirror, machine 2048 MB",
  );
  assert.equal(byFigure(rows, "scaling, 5 mirrors, change: wall").value, notMeasured);
  assert.equal(byFigure(rows, "scaling, 1 mirror, no-op: per host").value, notMeasured);
  assert.equal(
    byFigure(rows, "vs Ansible, no-op: lyra-fleet / Ansible").value,
    "wall 0.25 (2.0 s / 8.0 s), SSH 0.07 (2 / 29)",
  );
  assert.equal(byFigure(rows, "vs Ansible, first: lyra-fleet / Ansible").value, notMeasured);

  const over = reportRows({ "lab-scaling": results("lab-scaling", [phase("no-op", 3)]) });
  assert.equal(byFigure(over, "scaling, 5 mirrors, no-op: per host").met, "NO");
  // A no-op that counted no host proves nothing: shown as such, and not met.
  const none = reportRows({ "lab-scaling": results("lab-scaling", [{ ...phase("no-op", 2), counters: {} }]) });
  const empty = byFigure(none, "scaling, 5 mirrors, no-op: per host");
  assert.deepEqual([empty.value, empty.met], ["no host counted", "NO"]);
});

test("a results file that does not match its bench's schema is left out, naming the file and the field", () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-results-"));
  try {
    const good = noOpConverge({ lyra: counters(2) }, 0.5);
    writeFileSync(join(dir, "lab-converge.json"), JSON.stringify(good));
    const bad = results("program-scale", [program(10, 1, 100)]);
    (bad.rows[0] as any).wallSeconds = "1.0 s";
    writeFileSync(join(dir, "program-scale.json"), JSON.stringify(bad));
    writeFileSync(join(dir, "host-read.json"), "{");
    const read = readResults(dir);
    assert.deepEqual(Object.keys(read.results), ["lab-converge"]);
    assert.equal(read.problems.length, 2);
    assert.match(read.problems[0], /program-scale\.json: expected program-scale's results:/);
    assert.match(read.problems[0], /expected number, received string\s+→ at rows\[0\]\.wallSeconds/);
    assert.match(read.problems[1], /host-read\.json: not JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the host rows show each host's login and read, and the one-host no-op apply", () => {
  const host = (name: string, loginMs: number, readMs: number): Row<"host-read"> => ({
    kind: "host",
    host: name,
    paths: 40,
    units: 8,
    loginMs,
    channelMs: 2,
    readMs,
  });
  const apply = (phase: Row<"host-apply">["phase"], roundTrips: number, writes: number): Row<"host-apply"> => ({
    phase,
    files: 50,
    units: 10,
    wallSeconds: 0.05,
    roundTrips,
    writes,
    restarts: 0,
    starts: 0,
    connections: 1,
    action: "same",
  });
  const rows = reportRows({
    "host-read": results("host-read", [
      host("lyra", 251.4, 30.2),
      host("vega", 240, 28.6),
      { kind: "together", hosts: ["lyra", "vega"], togetherMs: [330, 300, 310] },
    ]),
    "host-apply": results("host-apply", [apply("first apply", 5, 3), apply("no-op apply", 1, 0)]),
  });
  assert.equal(byFigure(rows, "fresh SSH login + `true`, median").value, "lyra 251, vega 240 ms");
  assert.equal(byFigure(rows, "whole-host read, open connection, median").value, "lyra 30, vega 29 ms");
  assert.equal(byFigure(rows, "every host read at once, fresh connections").value, "median 310 ms of 3 (2 hosts)");
  assert.equal(byFigure(rows, "one host, 50 files + 10 units: no-op apply").value, "1 round trip, 0 writes, 0.05 s");
});

test("the real preview's CPU is split between the program and the rest of the CLI; results from before it show none", () => {
  const measured: Row<"cli-preview"> = {
    ...preview(1000, 6.7, 330),
    programCpuSeconds: 6.25,
    cpuSeconds: 14.5,
    floor: {
      resources: 1006,
      wallSeconds: 2.5,
      programSeconds: 2.1,
      programCpuSeconds: 1.9,
      programPeakRssMb: 150,
      cpuSeconds: 4.75,
    },
  };
  const rows = reportRows({ "cli-preview": results("cli-preview", [preview(10, 0.8, 114), measured]) });
  const cpu = byFigure(rows, "real preview, 1000 mirrors: CPU by process");
  assert.deepEqual(
    [cpu.value, cpu.target, cpu.met],
    [
      "whole preview 14.50 s: program 6.25 s, engine, language host and provider 8.25 s; " +
        "SDK floor 4.75 s: program 1.90 s, engine, language host and provider 2.85 s",
      "",
      "",
    ],
  );
  assert.equal(byFigure(rows, "real preview, 10 mirrors: CPU by process").value, notMeasured);
});
