// The lab's NAS and the apps it serves (test/lab/lib/nas.sh, lib/artifacts.sh): the fleet's NAS
// account over SFTP with the committed key and the pinned host key, the artifact share serving
// every built app with its sha256 to the fleet's hosts, the container registry with the broker image
// `lab.sh up` pushed (lib/images.sh), and hosts that carry no app until the fleet installs one (an
// installed artifact runs from the share's bytes).
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackFleet } from "../support/stack-fleet";
import { brokerRepository } from "./broker-image";
import { ensureLab, labArtifacts, labImages, labNas, wipeHost, wipeNas, type Lab, type LabArtifact } from "./lab";

let lab: Lab;
let artifacts: Record<string, LabArtifact>;
const work = mkdtempSync(join(tmpdir(), "lab-nas-test-"));
after(() => rmSync(work, { recursive: true, force: true }));

const fleetHosts = ["lyra", "vega", "mirror-1"];
const nasAddress = "127.0.0.10";

async function sh(host: string, command: string, timeoutMs?: number): Promise<string> {
  const result = await lab.sshExec(host, command, { timeoutMs });
  assert.equal(result.code, 0, `root@${host}: ${command}\n${result.stdout}${result.stderr}`);
  return result.stdout.trim();
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program on this machine, with a deadline; never rejects (the test reads the result). */
function run(program: string, args: string[], input = ""): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
    child.stdin.on("error", () => {}); // it may exit without reading its input
    child.stdin.end(input);
  });
}

/** A known_hosts file pinning `hostKey` for the NAS's loopback address. */
function knownHosts(name: string, hostKey: string): string {
  const file = join(work, name);
  writeFileSync(file, `${nasAddress} ${hostKey}\n`);
  return file;
}

/** `sftp -b -` as the NAS account from this machine, checking the host key against `known`. */
function sftp(batch: string, known: string): Promise<Run> {
  return run(
    "sftp",
    [
      ...["-F", "/dev/null", "-i", labNas.clientKeyPath(), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"],
      ...[
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${known}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
      ],
      ...["-o", "ConnectTimeout=5", "-b", "-", `${labNas.user}@${nasAddress}`],
    ],
    batch,
  );
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/**
 * Uploads `blob` to the NAS's registry from this machine through the forwarded port (the Registry
 * HTTP API's monolithic upload) under the repository `lab-test`; returns its digest.
 */
async function pushTestBlob(blob: string): Promise<string> {
  const digest = `sha256:${sha256(blob)}`;
  const start = await fetch(`http://${nasAddress}:5000/v2/lab-test/blobs/uploads/`, { method: "POST" });
  assert.equal(start.status, 202);
  const location = new URL(start.headers.get("location")!, `http://${nasAddress}:5000`);
  location.host = `${nasAddress}:5000`; // the registry names itself by the address it was asked at
  location.searchParams.set("digest", digest);
  const put = await fetch(location, {
    method: "PUT",
    body: blob,
    headers: { "Content-Type": "application/octet-stream" },
  });
  assert.equal(put.status, 201, await put.text());
  return digest;
}

/**
 * What `docker pull` of the broker image by digest fetches, fetched by vega from the NAS's lab name:
 * the manifest by the recorded digest (its bytes hash to it), then every blob it names (each hashes
 * to its own digest). Needs curl on vega.
 */
async function assertBrokerImageServed(): Promise<void> {
  const { digest, reference } = labImages()[brokerRepository];
  assert.equal(reference, `${labNas.registry}/${brokerRepository}@${digest}`);
  const base = `http://${labNas.registry}/v2/${brokerRepository}`;
  const getManifest = `curl -fsS -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' ${base}/manifests/${digest}`;
  assert.equal(`sha256:${await sh("vega", `${getManifest} | sha256sum | cut -d' ' -f1`)}`, digest, "the manifest");
  const manifest = JSON.parse(await sh("vega", getManifest)) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  const blobs = [manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
  assert.ok(manifest.layers.length >= 1, "the image has a layer");
  for (const blob of blobs)
    assert.equal(`sha256:${await sh("vega", `curl -fsS ${base}/blobs/${blob} | sha256sum | cut -d' ' -f1`)}`, blob);
}

/** curl is what the fleet fetches with (it installs it from Debian, as here); the image has none. */
const ensureCurl = (host: string) =>
  sh(host, "command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }", 300_000);

describe("the lab's NAS", { timeout: 15 * 60_000 }, () => {
  before(async () => {
    lab = await ensureLab();
    artifacts = labArtifacts();
  });

  test("the lab built every app of the lab stack's versions, and the manifest names each file", () => {
    assert.deepEqual(Object.keys(artifacts).sort(), [
      "lyra-client",
      "lyra-orchestrator",
      "node-red",
      "qdrant",
      "stt-service",
    ]);
    for (const [key, artifact] of Object.entries(artifacts)) {
      assert.match(artifact.sha256, /^[0-9a-f]{64}$/, key);
      assert.match(artifact.file, /\.tar\.gz$/, key);
    }
    assert.equal(artifacts.qdrant.file, "qdrant-x86_64-unknown-linux-gnu.tar.gz");
  });

  test("the lab stack pins exactly what the lab builds: every version, file and sha256", () => {
    // The builds are byte-reproducible (deterministic tars, a fixed wheel, Node-RED from a committed
    // lockfile), so the lab stack carries real pins, as a household's stack does.
    const fleet = stackFleet("lab");
    for (const [key, artifact] of Object.entries(artifacts)) {
      assert.equal(fleet.versions[key], artifact.version, `versions.${key}`);
      assert.deepEqual(
        { sha256: fleet.artifacts[key]?.sha256, file: fleet.artifacts[key]?.file },
        { sha256: artifact.sha256, file: artifact.file },
        `artifacts.${key} in stacks/Pulumi.lab.yaml (the lab built ${artifact.file} with sha256 ${artifact.sha256})`,
      );
    }
  });

  test("the NAS account answers SFTP with the committed key, behind the pinned host key only", async () => {
    const pinned = knownHosts("known-pinned", labNas.hostKey());
    const probe = `probe-${process.pid}`;
    writeFileSync(join(work, probe), "restic would write here\n");
    const session = await sftp(
      [
        `put ${join(work, probe)} ${labNas.backupsPath}/${probe}`,
        `ls -1 ${labNas.backupsPath}`,
        `rm ${labNas.backupsPath}/${probe}`,
      ].join("\n"),
      pinned,
    );
    assert.equal(session.code, 0, session.stderr);
    assert.match(session.stdout, new RegExp(`${labNas.backupsPath}/${probe}`));
    // The account writes the artifact share too (the software part's upload); nobody else owns it.
    const owners = await sh("nas", `stat -c '%U %a' ${labNas.backupsPath} ${labNas.artifactsPath}`);
    assert.equal(owners, "lyra 700\nlyra 755");

    // Another host's key at the NAS's address: the client must refuse, not trust on first use.
    const lyraKey = lab.host("lyra").hostKey;
    const impostor = await sftp(`ls ${labNas.backupsPath}`, knownHosts("known-other", lyraKey));
    assert.notEqual(impostor.code, 0);
    assert.match(impostor.stderr, /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);

    // Files, not a shell: a command sent to the account never runs.
    const shell = await run("ssh", [
      ...["-F", "/dev/null", "-i", labNas.clientKeyPath(), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"],
      ...[
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${pinned}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
      ],
      `${labNas.user}@${nasAddress}`,
      "echo shell-ran",
    ]);
    assert.doesNotMatch(shell.stdout, /shell-ran/);
  });

  test("a fleet host reaches the NAS account over SFTP by the NAS's lab name", async () => {
    const written = await lab.sshExec("vega", "umask 077 && cat > /root/nas-test-key", {
      input: readFileSync(labNas.clientKeyPath(), "utf8"),
    });
    assert.equal(written.code, 0, written.stderr);
    await sh("vega", `echo '${labNas.fqdn} ${labNas.hostKey()}' > /root/nas-test-known`);
    try {
      const listing = await sh(
        "vega",
        `echo 'ls -1 ${labNas.artifactsPath}' | sftp -F /dev/null -i /root/nas-test-key -o BatchMode=yes ` +
          `-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/root/nas-test-known -b - ${labNas.user}@${labNas.fqdn}`,
      );
      for (const key of Object.keys(artifacts))
        assert.match(listing, new RegExp(`${labNas.artifactsPath}/${key}$`, "m"));
    } finally {
      await sh("vega", "rm -f /root/nas-test-key /root/nas-test-known");
    }
  });

  test("the artifact share serves every manifest file with its sha256 to lyra, vega and mirror-1", async () => {
    await Promise.all(fleetHosts.map(ensureCurl));
    for (const host of fleetHosts) {
      for (const [key, artifact] of Object.entries(artifacts)) {
        const url = `${labNas.artifactsUrl}/${key}/${artifact.version}/${artifact.file}`;
        const got = await sh(host, `curl -fsS --max-time 60 '${url}' | sha256sum | cut -d' ' -f1`);
        assert.equal(got, artifact.sha256, `${host}: ${url}`);
      }
    }
    // Read-only over HTTP: an upload is refused.
    const put = await sh(
      "vega",
      `curl -s -o /dev/null -w '%{http_code}' -X PUT --data x '${labNas.artifactsUrl}/qdrant/evil.tar.gz'`,
    );
    assert.match(put, /^(405|501)$/);
    assert.equal((await lab.sshExec("nas", `test -e ${labNas.artifactsPath}/qdrant/evil.tar.gz`)).code, 1);
  });

  test("the registry answers the v2 API from vega and keeps a pushed blob on the NAS's disk", async () => {
    await ensureCurl("vega");
    const v2 = await sh("vega", `curl -fsS -D - http://${labNas.registry}/v2/`);
    assert.match(v2, /Docker-Distribution-Api-Version: registry\/2\.0/i);
    // A blob pushed from this machine through the forwarded port.
    const blob = `lab-nas-test ${process.pid}\n`;
    const digest = await pushTestBlob(blob);
    const head = await sh("vega", `curl -fsS http://${labNas.registry}/v2/lab-test/blobs/${digest}`);
    assert.equal(head + "\n", blob);
    const stored = await sh(
      "nas",
      `find /var/lib/docker-registry -path '*/blobs/sha256/*/${sha256(blob)}/data' | wc -l`,
    );
    assert.equal(stored, "1");
  });

  test("the registry holds the broker image `lab.sh up` pushed, on the NAS's disk: vega fetches it by digest", async () => {
    await ensureCurl("vega");
    await assertBrokerImageServed();
    const { digest } = labImages()[brokerRepository];
    const revision = await sh(
      "nas",
      `find /var/lib/docker-registry -path '*/repositories/${brokerRepository}/_manifests/revisions/sha256/${digest.slice(7)}/link' | wc -l`,
    );
    assert.equal(revision, "1");
  });

  test("an artifact installs and runs on a lab host from the share's bytes: the orchestrator's wheelhouse offline, qdrant", async () => {
    const orchestrator = artifacts["lyra-orchestrator"];
    const dir = `/opt/lyra/apps/lyra-orchestrator/${orchestrator.version}`;
    const url = `${labNas.artifactsUrl}/lyra-orchestrator/${orchestrator.version}/${orchestrator.file}`;
    await sh(
      "lyra",
      // ensurepip is what Debian's python3-venv adds (venv itself is in python3).
      "command -v curl >/dev/null && python3 -c 'import ensurepip' 2>/dev/null || " +
        "{ apt-get update -qq && apt-get install -y -qq curl python3-venv >/dev/null; }",
      300_000,
    );
    await sh(
      "lyra",
      `set -e; mkdir -p ${dir}; cd ${dir}; curl -fsS -o /tmp/o.tar.gz '${url}'; ` +
        `echo '${orchestrator.sha256}  /tmp/o.tar.gz' | sha256sum -c --quiet; tar -xzf /tmp/o.tar.gz; rm /tmp/o.tar.gz; ` +
        `python3 -m venv venv && venv/bin/pip install -q --no-index --find-links wheels lyra-orchestrator==${orchestrator.version}`,
      300_000,
    );
    await sh(
      "lyra",
      `systemctl reset-failed lab-orch-test 2>/dev/null; systemd-run --unit=lab-orch-test --collect ` +
        `${dir}/venv/bin/uvicorn lyra.orchestrator:app --host 127.0.0.1 --port 8400`,
    );
    try {
      const health = await sh(
        "lyra",
        "for i in $(seq 1 100); do curl -fsS http://127.0.0.1:8400/healthz && exit 0; sleep 0.2; done; exit 1",
      );
      assert.deepEqual(JSON.parse(health), { status: "ok", version: orchestrator.version });
    } finally {
      await sh("lyra", "systemctl stop lab-orch-test");
    }

    const qdrant = artifacts.qdrant;
    const qdir = `/opt/lyra/apps/qdrant/${qdrant.version}`;
    await sh(
      "lyra",
      `set -e; mkdir -p ${qdir}; curl -fsS '${labNas.artifactsUrl}/qdrant/${qdrant.version}/${qdrant.file}' | tar -xzf - -C ${qdir}; ` +
        `printf 'storage:\\n  storage_path: /var/lib/lab-qdrant/storage\\n  snapshots_path: /var/lib/lab-qdrant/snapshots\\n` +
        `service:\\n  http_port: 8401\\n' > /root/lab-qdrant.yaml; systemctl reset-failed lab-qdrant-test 2>/dev/null || true; ` +
        `systemd-run --unit=lab-qdrant-test --collect ${qdir}/qdrant --config-path /root/lab-qdrant.yaml`,
    );
    try {
      const ready = await sh(
        "lyra",
        "for i in $(seq 1 100); do curl -fsS http://127.0.0.1:8401/readyz && exit 0; sleep 0.2; done; exit 1",
      );
      assert.equal(ready, "all shards are ready");
      await sh("lyra", "curl -fsS -X PUT -d '{}' http://127.0.0.1:8401/collections/lab");
      await sh("lyra", "test -s /var/lib/lab-qdrant/storage/collections/lab/config.json");
    } finally {
      await sh("lyra", "systemctl stop lab-qdrant-test");
    }
  });

  test("a wiped lyra carries no app at all: no /opt/lyra, no stand-in, no Node-RED", async () => {
    await wipeHost("lyra");
    for (const path of ["/opt/lyra", "/usr/local/bin/qdrant", "/var/lib/lab-qdrant"]) {
      assert.equal((await lab.sshExec("lyra", `test -e ${path}`)).code, 1, `${path} exists on a wiped lyra`);
    }
    assert.equal(
      (await lab.sshExec("lyra", "command -v node-red || find / -xdev -name red.js -path '*node-red*' | grep -q ."))
        .code,
      1,
    );
  });

  test("wipeHost refuses the NAS: re-flashing fleet hosts never takes the backups along", async () => {
    await assert.rejects(wipeHost("nas"), /refusing to wipe nas.*wipe-nas/s);
    assert.equal(await sh("nas", `test -d ${labNas.backupsPath} && echo kept`), "kept");
  });

  test("wipeNas replaces the NAS on purpose: no backups, provisioned again, artifacts and the broker image published again", async () => {
    await sh("nas", `install -o lyra -m 0600 /dev/null ${labNas.backupsPath}/before-wipe`);
    // A registry marker: gone after the wipe, so what the new registry serves was pushed to it anew.
    const marker = await pushTestBlob(`before-wipe ${process.pid}\n`);
    assert.equal(
      (await fetch(`http://${nasAddress}:5000/v2/lab-test/blobs/${marker}`, { method: "HEAD" })).status,
      200,
    );
    await wipeNas();
    assert.equal(await sh("nas", `ls -A ${labNas.backupsPath} | wc -l`), "0");
    assert.equal(await sh("nas", `stat -c %U ${labNas.backupsPath}`), "lyra");
    for (const [key, artifact] of Object.entries(artifacts)) {
      const served = await fetch(`http://${nasAddress}:8081/${key}/${artifact.version}/${artifact.file}`);
      assert.equal(served.status, 200, key);
      assert.equal(sha256(Buffer.from(await served.arrayBuffer())), artifact.sha256, key);
    }
    assert.equal((await fetch(`http://${nasAddress}:5000/v2/`)).status, 200);
    assert.equal(
      (await fetch(`http://${nasAddress}:5000/v2/lab-test/blobs/${marker}`, { method: "HEAD" })).status,
      404,
    );
    await ensureCurl("vega");
    await assertBrokerImageServed();
  });
});
