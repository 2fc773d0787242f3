/**
 * The mirror's rendered units through systemd-analyze (Debian 12's systemd 252): `verify` must pass
 * silently on each, and `security --offline=yes` must score the long-running services and the
 * config sync at most 2.0.
 *
 * `verify` checks that every ExecStart= binary exists. The two apps are not packaged and live under
 * /opt/lyra (the lab installs stand-ins there), so verify runs in a private mount namespace
 * (`unshare -m`, root) whose /opt is an empty tmpfs holding executable stand-ins at exactly those
 * paths: nothing on this machine changes, and the unit files are checked as rendered.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { PlanFragment } from "../../src/render/plan";
import { render as configSync } from "../../src/services/config-sync/render";
import { render as lyraClient } from "../../src/services/lyra-client/render";
import { render as mqttClient } from "../../src/services/mqtt-client/render";
import { render as sttService } from "../../src/services/stt-service/render";
import { fragmentOf, homeFleet } from "../render/fixtures";

const fleet = homeFleet();
const fragments: PlanFragment[] = [
  fragmentOf(mqttClient, "mqtt-client", fleet, "mirror-1"),
  fragmentOf(sttService, "stt-service", fleet, "mirror-1"),
  fragmentOf(lyraClient, "lyra-client", fleet, "mirror-1"),
  fragmentOf(configSync, "config-sync", fleet, "mirror-1"),
];
const units = fragments.flatMap((f) => f.units ?? []);
const dir = mkdtempSync(join(tmpdir(), "lyra-mirror-units-"));
after(() => rmSync(dir, { recursive: true, force: true }));
for (const u of units) writeFileSync(join(dir, u.name), u.content!);

function run(command: string, args: string[]) {
  const r = spawnSync(command, args, { cwd: dir, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw new Error(`${command} could not run: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test("the mirror renders the runbook's unit names", () => {
  assert.deepEqual(units.map((u) => u.name).sort(), [
    "lyra-client.service",
    "lyra-config-sync.service",
    "lyra-config-sync.timer",
    "mqtt-client.service",
    "stt-service.service",
  ]);
});

test("systemd-analyze verify passes silently on every unit, with the apps' binaries at their paths", () => {
  // The installed releases' binaries, as the units name them.
  const binaries = units.flatMap((u) => (u.content ?? "").match(/^ExecStart=(\/opt\/lyra\/apps\/\S+)/m)?.[1] ?? []);
  assert.deepEqual(binaries.sort(), [
    "/opt/lyra/apps/lyra-client/1.4.2/bin/lyra-client",
    "/opt/lyra/apps/stt-service/0.9.1/bin/stt-service",
  ]);
  const standIns = binaries.map(
    (p) => `mkdir -p ${p.replace(/\/[^/]+$/, "")} && printf '#!/bin/sh\\n' > ${p} && chmod 0755 ${p}`,
  );
  for (const u of units) {
    const script = [
      "set -e",
      "mount -t tmpfs lyra-units-test /opt",
      ...standIns,
      `exec systemd-analyze verify ./${u.name}`,
    ].join("\n");
    const r = run("unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script]);
    assert.equal(r.status, 0, `${u.name}:\n${r.out}`);
    assert.equal(r.out, "", `${u.name} verified with messages:\n${r.out}`);
  }
});

/**
 * The overall exposure `systemd-analyze security --offline=yes` gives a unit file; the command itself
 * must fail above `threshold`. systemd 252 takes --threshold in tenths (exposure 4.0 is 40).
 */
function exposure(name: string, threshold: number): number {
  const r = run("systemd-analyze", [
    "security",
    "--offline=yes",
    `--threshold=${Math.round(threshold * 10)}`,
    `./${name}`,
  ]);
  const match = /Overall exposure level for \S+: (\d+\.\d)/.exec(r.out);
  assert.ok(match, `no exposure level for ${name}:\n${r.out}`);
  assert.equal(r.status, 0, `${name} is above ${threshold}:\n${r.out}`);
  return Number(match[1]);
}

test("exposure: each long-running service and the config sync at most 2.0", () => {
  const longRunning = units.filter((u) => u.longRunning).map((u) => u.name);
  assert.deepEqual(longRunning.sort(), ["lyra-client.service", "mqtt-client.service", "stt-service.service"]);
  for (const name of longRunning) assert.ok(exposure(name, 2.0) <= 2.0);
  assert.ok(exposure("lyra-config-sync.service", 2.0) <= 2.0);
});
