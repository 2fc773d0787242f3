/**
 * `systemd-analyze verify` on one host's rendered units, as test/tools/systemd-units.test.ts runs
 * it: in a private mount namespace where tmpfs over /opt, /usr/local/bin and /usr/local/lib holds
 * stubs for the apps Debian does not ship and lyra-fleet's own scripts with their rendered content,
 * so every other executable is checked against this machine.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostPlan } from "../../src/render/plan";

/** The apps lyra-fleet runs but Debian does not ship: verified against stand-in stubs. */
export const unpackaged = /^\/(opt|usr\/local\/bin)\//;
/** Packaged units the rendered ones order against, not installed on this machine. */
const absentPackagedUnit =
  /Unit (nut-server|nut-monitor|prometheus|prometheus-node-exporter|chrony|ssh|mosquitto|docker)\.service not found/;

function executables(content: string): string[] {
  const paths = new Set<string>();
  for (const line of content.split("\n")) {
    const m = /^Exec(Start|StartPre|StartPost|Stop|StopPost|Reload|Condition)=[-@:+!]*(\S+)/.exec(line);
    if (m && m[2].startsWith("/")) paths.add(m[2]);
  }
  return [...paths];
}

/** The verify output for a host's units: "" when systemd has nothing to say. */
export function verifyHostUnits(plan: HostPlan): string {
  const units = plan.units.filter((u): u is typeof u & { content: string } => u.content !== null);
  if (units.length === 0) return "";
  const dir = mkdtempSync(join(tmpdir(), `units-${plan.host}-`));
  try {
    for (const unit of units) writeFileSync(join(dir, unit.name), unit.content);
    const missing = [...new Set(units.flatMap((u) => executables(u.content)))].filter((p) => !existsSync(p));
    const stubs = missing.filter((p) => unpackaged.test(p));
    const wrong = missing.filter((p) => !unpackaged.test(p) && !p.startsWith("/usr/local/lib/lyra/"));
    if (wrong.length > 0) return `executables that should come from Debian packages are missing: ${wrong.join(", ")}`;
    const scripts = plan.files.filter((f) => f.path.startsWith("/usr/local/lib/lyra/"));
    scripts.forEach((f, i) => writeFileSync(join(dir, `script-${i}`), f.content, { mode: 0o755 }));
    const script = [
      "set -e",
      "mount -t tmpfs tmpfs /opt",
      "mount -t tmpfs tmpfs /usr/local/bin",
      "mkdir -p /usr/local/lib && mount -t tmpfs tmpfs /usr/local/lib && mkdir -p /usr/local/lib/lyra",
      ...scripts.map((f, i) => `cp ${join(dir, `script-${i}`)} ${f.path} && chmod ${f.mode} ${f.path}`),
      ...stubs.map((p) => `mkdir -p "$(dirname ${p})" && printf '#!/bin/sh\\n' > ${p} && chmod 755 ${p}`),
      `exec systemd-analyze verify ${units.map((u) => join(dir, u.name)).join(" ")}`,
    ].join("\n");
    const result = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], {
      encoding: "utf8",
      timeout: 60_000,
    });
    if (result.error) throw new Error(`systemd-analyze could not run: ${result.error.message}`);
    const output = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((l) => l.trim() && !absentPackagedUnit.test(l))
      .join("\n");
    return result.status !== 0 || output ? `exit ${result.status}:\n${output}` : "";
  } finally {
    // Every host of every stack, on every run (generated stacks make new host names): none may stay behind.
    rmSync(dir, { recursive: true, force: true });
  }
}
