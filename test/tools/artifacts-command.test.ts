/**
 * `npm run artifacts` end to end against real programs on loopback: a real sshd (OpenSSH's
 * internal SFTP server) standing in for the NAS, and a local HTTP server standing in for an
 * upstream release URL. Every pinned file lands at <share>/<key>/<version>/<file>; a second run
 * finds them there; a file whose digest differs from its pin is refused naming both digests; a
 * NAS presenting another host key is refused before anything is sent; no secret is printed.
 *
 * Needs openssh-server (sshd) installed; runs as root (sshd logs in as the current user).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { freePort } from "../support/free-port";
import { stackFleet } from "../support/stack-fleet";
import { testSshKey } from "../support/ssh-test-key";

const dir = mkdtempSync(join(tmpdir(), "lyra-artifacts-"));
const share = join(dir, "share");
const from = join(dir, "from");
const hostKey = testSshKey("test nas host key");
const clientKey = testSshKey("test nas client key");
const otherHostKey = testSshKey("another host key");
const user = userInfo().username;
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** A stand-in release per app: distinct bytes, so a file in the wrong place shows. */
const releases: Record<string, Buffer> = Object.fromEntries(
  ["lyra-client", "lyra-orchestrator", "node-red", "qdrant", "stt-service"].map((key) => [
    key,
    Buffer.from(`release of ${key}\n`.repeat(1000)),
  ]),
);

let sshd: ChildProcess | undefined;
let sshdLog = "";
let sshPort = 0;
let http: Server | undefined;
let httpPort = 0;
let upstreamRequests = 0;
let createdPrivsepDir = false;

before(async () => {
  mkdirSync(share);
  mkdirSync(from);
  writeFileSync(join(dir, "host_key"), hostKey.privateKey, { mode: 0o600 });
  writeFileSync(join(dir, "client_key"), clientKey.privateKey, { mode: 0o600 });
  writeFileSync(join(dir, "authorized_keys"), `${clientKey.publicKey}\n`);
  // Every app but qdrant comes from --from (flat); qdrant from its upstream URL.
  for (const [key, bytes] of Object.entries(releases))
    if (key !== "qdrant") writeFileSync(join(from, `${key}.tar.gz`), bytes);

  httpPort = await freePort();
  http = createServer((req, res) => {
    upstreamRequests++;
    if (req.url === "/qdrant/v1.12.4/qdrant.tar.gz") res.end(releases.qdrant);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http!.listen(httpPort, "127.0.0.1", resolve));

  if (!existsSync("/run/sshd")) {
    // sshd's privilege separation directory (systemd's tmpfiles makes it on a booted host).
    mkdirSync("/run/sshd", { mode: 0o755 });
    createdPrivsepDir = true;
  }
  sshPort = await freePort();
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${sshPort}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(dir, "host_key")}`,
      "PidFile none",
      "UsePAM yes",
      "StrictModes no",
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      `AllowUsers ${user}`,
      "Subsystem sftp internal-sftp",
      "",
    ].join("\n"),
  );
  const check = spawnSync("/usr/sbin/sshd", ["-t", "-f", config], { encoding: "utf8", timeout: 10_000 });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  sshdLog = join(dir, "sshd.log");
  const fd = openSync(sshdLog, "w");
  sshd = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(sshPort, "127.0.0.1", () => (socket.destroy(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (up) break;
    if (sshd.exitCode !== null || Date.now() > deadline)
      throw new Error(`sshd did not start listening on ${sshPort}:\n${readFileSync(sshdLog, "utf8")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

after(async () => {
  if (sshd && sshd.exitCode === null && sshd.signalCode === null) {
    const exited = new Promise((resolve) => sshd!.once("exit", resolve));
    sshd.kill("SIGTERM");
    await exited;
  }
  await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
  if (createdPrivsepDir && readdirSync("/run/sshd").length === 0) rmdirSync("/run/sshd");
  rmSync(dir, { recursive: true, force: true });
});

/** The home stack, pointed at the test NAS and upstream, with `change` applied; returns its file. */
function stackFile(change: (raw: Record<string, any>) => void = () => {}): string {
  const raw = stackFleet("home");
  raw.site.nas = {
    ...raw.site.nas,
    host: "127.0.0.1",
    user,
    hostKey: hostKey.publicKey,
    artifacts: { url: "http://nas.test.arpa:8081", path: share },
  };
  // One build for every architecture each (the per-architecture case has its own test).
  for (const [key, bytes] of Object.entries(releases))
    raw.artifacts[key] = { sha256: sha256(bytes), file: `${key}.tar.gz` };
  raw.artifacts.qdrant.upstream = `http://127.0.0.1:${httpPort}/qdrant/v{version}/qdrant.tar.gz`;
  change(raw);
  const file = join(dir, "Pulumi.test.yaml");
  writeFileSync(file, stringify({ config: { "lyra-fleet:fleet": raw } }));
  return file;
}

/** Runs the command without blocking this process: the test's HTTP server must keep answering. */
async function artifactsCommand(file: string, extra: string[] = []): Promise<{ status: number | null; out: string }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/artifacts.ts",
      "--stack",
      "test",
      "--stack-file",
      file,
      "--from",
      from,
      "--identity",
      join(dir, "client_key"),
      "--nas-port",
      String(sshPort),
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const status = await new Promise<number | null>((resolve) => child.once("close", resolve));
  assert.ok(!out.includes("PRIVATE KEY"), "no private key in the output");
  return { status, out };
}

const lineOf = (out: string, key: string) => out.split("\n").find((l) => l.startsWith(`${key} `)) ?? "";

test("every pinned artifact lands on the share at <key>/<version>/<file>, from --from or upstream", async () => {
  const { status, out } = await artifactsCommand(stackFile());
  assert.equal(status, 0, `${out}\n${readFileSync(sshdLog, "utf8")}`);
  const placed: Record<string, string> = {
    "lyra-client": "lyra-client/1.4.2/lyra-client.tar.gz",
    "lyra-orchestrator": "lyra-orchestrator/1.4.2/lyra-orchestrator.tar.gz",
    "node-red": "node-red/4.1.8/node-red.tar.gz",
    qdrant: "qdrant/1.12.4/qdrant.tar.gz",
    "stt-service": "stt-service/0.9.1/stt-service.tar.gz",
  };
  for (const [key, path] of Object.entries(placed)) {
    assert.deepEqual(readFileSync(join(share, path)), releases[key], path);
    assert.match(lineOf(out, key), / uploaded /, out);
  }
  assert.match(
    lineOf(out, "qdrant"),
    new RegExp(`http://127\\.0\\.0\\.1:${httpPort}/qdrant/v1\\.12\\.4/qdrant\\.tar\\.gz`),
  );
  assert.ok(!readdirSync(join(share, "qdrant", "1.12.4")).some((f) => f.endsWith(".part")), "no partial file left");
});

test("a second run finds every file there with its digest and fetches nothing", async () => {
  const requests = upstreamRequests;
  const { status, out } = await artifactsCommand(stackFile());
  assert.equal(status, 0, out);
  for (const key of Object.keys(releases)) assert.match(lineOf(out, key), / already there /, out);
  assert.equal(upstreamRequests, requests, "upstream not asked again");
});

test("a file whose digest is not the pin is refused, naming the key and both digests; the share keeps its file", async () => {
  const wrong = "e".repeat(64);
  const before = readFileSync(join(share, "node-red/4.1.8/node-red.tar.gz"));
  const { status, out } = await artifactsCommand(stackFile((raw) => (raw.artifacts["node-red"].sha256 = wrong)));
  assert.equal(status, 1, out);
  const line = lineOf(out, "node-red");
  assert.match(line, / refused /);
  assert.ok(
    line.includes(
      `sha256 mismatch for node-red 4.1.8: expected ${wrong} (artifacts.node-red.sha256), got ${sha256(releases["node-red"])}`,
    ),
    line,
  );
  assert.deepEqual(readFileSync(join(share, "node-red/4.1.8/node-red.tar.gz")), before);
  assert.match(lineOf(out, "qdrant"), / already there /, "the others still checked");
});

test("a file neither in --from nor upstream fails by name; a missing upstream file says its HTTP status", async () => {
  const { status, out } = await artifactsCommand(
    stackFile((raw) => {
      raw.versions["stt-service"] = "0.9.2";
      raw.versions.qdrant = "1.12.5";
      raw.artifacts["stt-service"].file = "stt-service-next.tar.gz";
    }),
  );
  assert.equal(status, 1, out);
  assert.match(
    lineOf(out, "stt-service"),
    / failed .*not in .* \(expected .*\/stt-service\/0\.9\.2\/stt-service-next\.tar\.gz or .*\/stt-service-next\.tar\.gz\) and artifacts\.stt-service has no upstream/,
  );
  assert.match(
    lineOf(out, "qdrant"),
    / failed .*cannot download http:\/\/127\.0\.0\.1:\d+\/qdrant\/v1\.12\.5\/qdrant\.tar\.gz: HTTP 404/,
  );
});

test("a NAS presenting another host key is refused before anything is sent, naming site.nas.hostKey", async () => {
  const { status, out } = await artifactsCommand(stackFile((raw) => (raw.site.nas.hostKey = otherHostKey.publicKey)));
  assert.equal(status, 1, out);
  assert.match(out, /host key mismatch/);
  assert.match(out, /site\.nas\.hostKey/);
});

test("without site.nas.user and hostKey the command says what it needs", async () => {
  const { status, out } = await artifactsCommand(
    stackFile((raw) => {
      // (A stack that backs up needs them anyway: this one does not.)
      delete raw.backup;
      delete raw.site.nas.user;
      delete raw.site.nas.hostKey;
    }),
  );
  assert.equal(status, 2, out);
  assert.match(out, /site\.nas\.user and site\.nas\.hostKey are needed to write the artifact share over SFTP/);
});

test("an app with a build per architecture puts each build on the share, one row each", async () => {
  const builds = { x86_64: Buffer.from("stt for x86_64\n"), aarch64: Buffer.from("stt for aarch64\n") };
  for (const [arch, bytes] of Object.entries(builds)) writeFileSync(join(from, `stt-service-${arch}.tar.gz`), bytes);
  const { status, out } = await artifactsCommand(
    stackFile((raw) => {
      raw.artifacts["stt-service"] = Object.fromEntries(
        Object.entries(builds).map(([arch, bytes]) => [
          arch,
          { sha256: sha256(bytes), file: `stt-service-${arch}.tar.gz` },
        ]),
      );
    }),
  );
  assert.equal(status, 0, out);
  for (const [arch, bytes] of Object.entries(builds)) {
    assert.deepEqual(readFileSync(join(share, `stt-service/0.9.1/stt-service-${arch}.tar.gz`)), bytes, arch);
    assert.match(out, new RegExp(`^stt-service +${arch} +0\\.9\\.1 .* uploaded `, "m"), out);
  }
});
