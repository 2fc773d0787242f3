/**
 * verify's SSH checks on the lab's real systemd hosts, whatever state a converge left them in: a
 * unit check reports the state systemd really gives (as root, and as a sudo user like a Pi's),
 * the config source's sshd passes, and a host presenting another key than the pinned one is named
 * and refused before any command runs. Needs the lab up, not converged.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { JsonOutput } from "../../../src/verify/format";
import { ensureLab, type Lab } from "../../lab/lab";
import { runCli } from "../support/cli";

let lab: Lab;
let stackFile: string;

/** The lab's three hosts, but lyra pinned to vega's key (a re-installed host, or an impostor). */
function writeStack(dir: string): string {
  const key = (name: string) => lab.host(name).hostKey;
  const yaml = `config:
  lyra-fleet:fleet:
    site: { domain: lab.home.arpa, timezone: UTC, ntpServers: [vega.lab.home.arpa], nas: { host: nas.lab.home.arpa, path: /srv, artifacts: { url: "http://nas.lab.home.arpa:8081", path: /srv/artifacts } } }
    hosts:
      lyra: { address: 127.0.0.11, role: lyra, ssh: { user: root, hostKey: ${key("vega")} } }
      vega:
        address: 127.0.0.12
        role: vega
        ssh: { user: root, hostKey: ${key("vega")} }
        services: { config-source: { enabled: false }, mqtt-broker: { mode: native } }
      mirror-1:
        address: 127.0.0.13
        role: mirror
        ssh: { user: deploy, hostKey: ${key("mirror-1")} }
        # The config source here, so no sync from itself (the model refuses one).
        services: { config-source: {}, config-sync: { enabled: false } }
    versions: { lyra-orchestrator: 1.4.2, qdrant: 1.12.4, node-red: 4.1.8, stt-service: 0.9.1, lyra-client: 1.4.2 }
    images:
      mqtt-broker: eclipse-mosquitto:2.0.20@sha256:21421af7b32bf9ce508e9090c8eb13bb81f410ca778dc205506180a6f862d0eb
    artifacts:
      lyra-orchestrator: { sha256: "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", file: lyra-orchestrator-wheels.tar.gz }
      qdrant: { sha256: "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", file: qdrant.tar.gz }
      node-red: { sha256: "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", file: node-red.tar.gz }
      stt-service: { sha256: "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", file: stt-service.tar.gz }
      lyra-client: { sha256: "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", file: lyra-client.tar.gz }
`;
  const file = join(dir, "Pulumi.labssh.yaml");
  writeFileSync(file, yaml);
  return file;
}

describe("verify's SSH checks on the lab hosts", { timeout: 20 * 60_000 }, () => {
  before(async () => {
    lab = await ensureLab();
    stackFile = writeStack(mkdtempSync(join(tmpdir(), "lyra-verify-ssh-")));
  });

  after(() => {
    if (stackFile) rmSync(dirname(stackFile), { recursive: true, force: true });
  });

  test("unit checks report systemd's real state, as root and through sudo; a wrong host key is named, nothing runs", async () => {
    const run = await runCli("verify", [
      "--stack-file",
      stackFile,
      "--only",
      "ssh",
      "--identity",
      lab.clientKeyPath,
      "--timeout",
      "10",
      "--json",
    ]);
    assert.ok(run.stdout.trim().startsWith("{"), `verify printed no JSON:\n${run.stderr}`);
    const out = JSON.parse(run.stdout) as JsonOutput;
    const byName = new Map(out.results.map((r) => [r.name, r]));
    // mirror-1 logs in as deploy: every command goes through sudo -n.
    const sshd = byName.get("mirror-1: ssh.service active");
    assert.ok(sshd?.ok, `mirror-1's sshd: ${sshd?.detail}`);
    for (const r of out.results.filter((x) => x.kind === "unit" && x.host !== "lyra")) {
      assert.match(r.detail, /^(active|inactive|failed|activating|deactivating|reloading)\b/, `${r.name}: ${r.detail}`);
    }
    const lyra = out.results.filter((r) => r.host === "lyra");
    assert.ok(lyra.length > 3);
    for (const r of lyra)
      assert.match(
        r.detail,
        /^lyra \(root@127\.0\.0\.11:22\): host key mismatch: pinned SHA256:\S+ \(ssh-ed25519\) but the host presented SHA256:\S+\. Refused before running any command/,
      );
    assert.equal(out.causes.length, 1, JSON.stringify(out.causes));
  });
});
