/**
 * Every unit lyra-fleet renders, checked by systemd itself: `systemd-analyze verify` (syntax,
 * directives, executables) and `systemd-analyze security --offline=yes` (exposure), printed as a
 * table. Limits: every long-running unit at most 4.0; the native broker, config sync and health
 * publisher at most 2.0.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadStackFile } from "../../src/model/load";
import { planFleet } from "../../src/render";
import type { PlannedUnit } from "../../src/render/plan";

const strict = new Set(["mqtt-broker.service", "lyra-config-sync.service", "lyra-health.service"]);
const stacks = ["home", "lab"];

interface RenderedUnit {
  stack: string;
  host: string;
  unit: PlannedUnit & { content: string };
}

const plans = stacks.map((stack) => ({ stack, plans: planFleet(loadStackFile(`stacks/Pulumi.${stack}.yaml`)) }));
const units: RenderedUnit[] = plans.flatMap(({ stack, plans }) =>
  plans.flatMap((plan) =>
    plan.units.filter((u): u is PlannedUnit & { content: string } => u.content !== null).map((unit) => ({ stack, host: plan.host, unit })),
  ),
);
const scriptsOf = (stack: string, host: string) =>
  plans.find((p) => p.stack === stack)!.plans.find((p) => p.host === host)!.files.filter((f) => f.path.startsWith("/usr/local/lib/lyra/"));

function executables(content: string): string[] {
  const paths = new Set<string>();
  for (const line of content.split("\n")) {
    const m = /^Exec(Start|StartPre|StartPost|Stop|StopPost|Reload|Condition)=[-@:+!]*(\S+)/.exec(line);
    if (m && m[2].startsWith("/")) paths.add(m[2]);
  }
  return [...paths];
}

/** The apps lyra-fleet runs but Debian does not ship: verified against stand-in stubs here. */
const unpackaged = /^\/(opt\/lyra|usr\/local\/bin)\//;
/** lyra-fleet's own scripts: verified with their rendered content in place. */
const rendered = /^\/usr\/local\/lib\/lyra\//;

test("systemd-analyze verify passes on every rendered unit (home and lab stacks)", () => {
  const missing = [...new Set(units.flatMap((u) => executables(u.unit.content)))].filter((p) => !existsSync(p)).sort();
  // Anything else missing would be a wrong path to a Debian program: fail on it, do not stub it.
  assert.deepEqual(missing.filter((p) => !unpackaged.test(p) && !rendered.test(p)), [], "executables that should come from Debian packages");
  const failures: string[] = [];
  for (const stack of stacks) {
    for (const host of [...new Set(units.filter((u) => u.stack === stack).map((u) => u.host))]) {
      const dir = mkdtempSync(join(tmpdir(), `units-${stack}-${host}-`));
      const mine = units.filter((u) => u.stack === stack && u.host === host);
      for (const { unit } of mine) writeFileSync(join(dir, unit.name), unit.content);
      // A private mount namespace with tmpfs over /opt and /usr/local/bin holds executable stubs
      // for the unpackaged apps, so verify can check everything else against this machine.
      const stubs = missing.filter((p) => unpackaged.test(p) && mine.some((u) => u.unit.content.includes(p)));
      const scripts = scriptsOf(stack, host);
      scripts.forEach((f, i) => writeFileSync(join(dir, `script-${i}`), f.content, { mode: 0o755 }));
      const script = [
        "set -e",
        "mount -t tmpfs tmpfs /opt",
        "mount -t tmpfs tmpfs /usr/local/bin",
        "mkdir -p /usr/local/lib && mount -t tmpfs tmpfs /usr/local/lib && mkdir -p /usr/local/lib/lyra",
        ...scripts.map((f, i) => `cp ${join(dir, `script-${i}`)} ${f.path} && chmod ${f.mode} ${f.path}`),
        ...stubs.map((p) => `mkdir -p "$(dirname ${p})" && printf '#!/bin/sh\\n' > ${p} && chmod 755 ${p}`),
        `exec systemd-analyze verify ${mine.map((u) => join(dir, u.unit.name)).join(" ")}`,
      ].join("\n");
      const result = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], { encoding: "utf8", timeout: 60_000 });
      const output = `${result.stdout}${result.stderr}`
        .split("\n")
        // Packaged units the rendered ones order against are not installed on this machine.
        .filter((l) => l.trim() && !/Unit (nut-server|nut-monitor|prometheus|prometheus-node-exporter|chrony|ssh|mosquitto|docker)\.service not found/.test(l))
        .join("\n");
      if (result.status !== 0 || output) failures.push(`${stack}/${host} (exit ${result.status}):\n${output}`);
    }
  }
  assert.deepEqual(failures, []);
});

test("systemd-analyze security: long-running units at most 4.0, broker, sync and health publisher at most 2.0", () => {
  const rows: string[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { stack, host, unit } of units) {
    if (!unit.name.endsWith(".service") || !(unit.longRunning || strict.has(unit.name))) continue;
    const key = `${unit.name}\n${unit.content}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const dir = mkdtempSync(join(tmpdir(), "security-"));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, unit.name), unit.content);
    const out = spawnSync("systemd-analyze", ["security", "--offline=yes", unit.name], { cwd: dir, encoding: "utf8", timeout: 30_000 });
    const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(`${out.stdout}${out.stderr}`);
    assert.ok(m, `no exposure level for ${unit.name}:\n${out.stdout}${out.stderr}`);
    const score = Number(m[1]);
    const limit = strict.has(unit.name) ? 2.0 : 4.0;
    rows.push(`${`${stack}/${host}`.padEnd(16)} ${unit.name.padEnd(32)} ${m[1].padStart(4)}   ${limit.toFixed(1)}`);
    if (score > limit) problems.push(`${stack}/${host} ${unit.name}: ${score} > ${limit}`);
  }
  console.log(["", "stack/host       unit                             exposure limit", ...rows].join("\n"));
  assert.ok(rows.length >= 10, "expected every long-running unit to be scored");
  assert.ok(rows.some((r) => r.includes(" mqtt-broker.service ")), "the native broker (lab) is scored");
  assert.deepEqual(problems, []);
});

test("systemd-analyze is the real one", () => {
  assert.match(execFileSync("systemd-analyze", ["--version"], { encoding: "utf8" }), /^systemd \d+/);
});
