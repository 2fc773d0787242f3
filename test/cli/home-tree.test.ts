/** The home stack's rendered tree holds the files of every service of the runbook. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const expected: Record<string, string[]> = {
  lyra: [
    "/etc/systemd/system/lyra-orchestrator.service",
    "/etc/systemd/system/qdrant.service",
    "/etc/lyra/qdrant/config.yaml",
    "/etc/systemd/system/mkdocs.service",
    "/opt/lyra/docs/mkdocs.yml",
    "/opt/lyra/docs/docs/index.md",
    "/opt/lyra/docs/docs/recovery.md",
    "/opt/lyra/docs/docs/hosts/mirror-2.md",
    "/opt/lyra/docs/docs/entries/index.md",
    "/etc/systemd/system/nodered.service",
    "/etc/lyra/nodered/settings.js",
    "/etc/lyra/nodered/flows.json",
    "/etc/nut/ups.conf",
    "/etc/nut/upsd.users",
  ],
  vega: [
    "/etc/mosquitto/lyra/mosquitto.conf",
    "/etc/mosquitto/lyra/passwd",
    "/etc/mosquitto/lyra/acl",
    "/opt/lyra/config/fleet.json",
    "/etc/prometheus/prometheus.yml",
    "/var/lib/lyra-sync/.ssh/authorized_keys",
  ],
  "mirror-1": [
    "/etc/systemd/system/mqtt-client.service",
    "/usr/local/lib/lyra/mqtt-client.sh",
    "/etc/systemd/system/stt-service.service",
    "/etc/systemd/system/lyra-client.service",
    "/etc/lyra/lyra-client/fallback.env",
    "/etc/systemd/system/lyra-config-sync.service",
    "/etc/systemd/system/lyra-config-sync.timer",
  ],
};
const everyHost = [
  "/etc/systemd/system/lyra-health.service",
  "/etc/systemd/system/lyra-health.timer",
  "/etc/chrony/chrony.conf",
  "/etc/default/prometheus-node-exporter",
];

test("the home tree holds every runbook service's files, and the manifest agrees", () => {
  const out = mkdtempSync(join(tmpdir(), "home-tree-"));
  after(() => rmSync(out, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/render.ts", "--stack", "home", "--out", out], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  for (const host of ["lyra", "vega", "mirror-1", "mirror-2"]) {
    const paths = [...(expected[host] ?? expected["mirror-1"]), ...everyHost];
    const listed = new Set(manifest.hosts.find((h: any) => h.host === host).files.map((f: any) => f.path));
    for (const path of paths) {
      assert.ok(existsSync(join(out, host, path)), `${host}: ${path} missing from the tree`);
      assert.ok(listed.has(path), `${host}: ${path} missing from the manifest`);
    }
  }
  const fallback = readFileSync(join(out, "mirror-1/etc/lyra/lyra-client/fallback.env"), "utf8");
  assert.match(fallback, /\/var\/lib\/lyra\/cache/);
  assert.match(fallback, /\/var\/log\/lyra-fallback\.log/);
  assert.match(
    readFileSync(join(out, "mirror-1/etc/systemd/system/lyra-client.service"), "utf8"),
    /^RestartSec=30s?$/m,
  );
});
