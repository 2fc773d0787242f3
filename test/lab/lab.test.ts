// The lab itself: real systemd hosts over real SSH, the ground every lab test stands on.
import { before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { ensureLab, labDir, wipeHost, type Lab } from "./lab";

/** The fleet's hosts; the NAS is lab infrastructure (nas.test.ts). */
const hostNames = ["lyra", "vega", "mirror-1"];
let lab: Lab;

/** Polls `check` until it returns true; fails naming `what` after `seconds`. */
async function eventually(what: string, seconds: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`${what}: not within ${seconds}s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function sh(host: string, command: string, user = "root"): Promise<string> {
  const result = await lab.sshExec(host, command, { user });
  assert.equal(result.code, 0, `${user}@${host}: ${command}\n${result.stderr}`);
  return result.stdout.trim();
}

// python3-minimal has no http.server: a raw socket answers every connection with a 200.
const probeServer = `import socket, sys
server = socket.create_server(("", int(sys.argv[1])))
while True:
    conn, _ = server.accept()
    conn.recv(4096)
    conn.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n")
    conn.close()
`;

/** Runs the probe server on host:port as a transient unit; returns a function that stops it. */
async function startProbe(host: string, port: number): Promise<() => Promise<void>> {
  const unit = `lab-probe-${port}`;
  const written = await lab.sshExec(host, "cat > /root/lab-probe.py", { input: probeServer });
  assert.equal(written.code, 0, written.stderr);
  await sh(
    host,
    `systemctl reset-failed ${unit} 2>/dev/null; systemd-run --collect --unit=${unit} python3 /root/lab-probe.py ${port}`,
  );
  return async () => {
    await sh(host, `systemctl stop ${unit}`);
  };
}

/** Whether address:port answers an HTTP GET with a 200 now (a refused or failed request is a no). */
function answersOk(address: string, port: number): Promise<boolean> {
  return httpStatus(address, port).then(
    (status) => status === 200,
    () => false,
  );
}

function httpStatus(address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path: "/", timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${address}:${port}`)));
    req.on("error", reject);
    req.end();
  });
}

describe("the lab", { timeout: 20 * 60_000 }, () => {
  before(async () => {
    lab = await ensureLab();
  });

  test("ensureLab describes three fleet hosts and the NAS on their loopback addresses with pinned ed25519 keys", async () => {
    assert.deepEqual(
      lab.hosts.map((h) => h.name),
      [...hostNames, "nas"],
    );
    assert.deepEqual(
      lab.fleetHosts.map((h) => h.name),
      hostNames,
    );
    assert.deepEqual(
      lab.hosts.map((h) => h.address),
      ["127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.10"],
    );
    assert.deepEqual(
      lab.hosts.map((h) => h.internalAddress),
      ["10.77.0.11", "10.77.0.12", "10.77.0.13", "10.77.0.10"],
    );
    for (const host of lab.hosts) {
      assert.equal(host.port, 22);
      assert.match(host.hostKey, /^ssh-ed25519 AAAA[0-9A-Za-z+/=]+$/);
    }
    assert.match(lab.clientKey, /BEGIN OPENSSH PRIVATE KEY/);
    // A second call in the same process reuses the lab instead of bringing it up again.
    assert.equal(await ensureLab(), lab);
  });

  test("each host answers SSH as root and as deploy with passwordless sudo", async () => {
    for (const name of hostNames) {
      assert.equal(await sh(name, "hostname"), name);
      assert.equal(await sh(name, "id -u"), "0");
      assert.equal(await sh(name, "id -un", "deploy"), "deploy");
      assert.equal(await sh(name, "sudo -n id -u", "deploy"), "0");
    }
  });

  test("each host offers only its pinned ed25519 host key", () => {
    for (const host of lab.hosts) {
      const scanned = execFileSync("ssh-keyscan", ["-T", "5", "-p", "22", host.address], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      const keys = scanned
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => l.split(" ").slice(1).join(" "));
      assert.deepEqual(keys, [host.hostKey], host.name);
    }
  });

  test("each host runs systemd as PID 1 and reaches a running system", async () => {
    for (const name of hostNames) {
      assert.equal(await sh(name, "cat /proc/1/comm"), "systemd");
      const state = await lab.sshExec(name, "systemctl is-system-running --wait");
      assert.match(state.stdout.trim(), /^(running|degraded)$/, `${name}: ${state.stdout}${state.stderr}`);
    }
  });

  test("the hosts resolve each other and the NAS by short and lab names and reach each other on any port", async () => {
    for (const name of hostNames) {
      for (const other of lab.hosts) {
        const line = await sh(name, `getent hosts ${other.name}`);
        assert.equal(line.split(/\s+/)[0], other.internalAddress, `${name} resolves ${other.name}`);
        const fqdn = await sh(name, `getent hosts ${other.name}.lab.home.arpa`);
        assert.equal(fqdn.split(/\s+/)[0], other.internalAddress);
      }
    }
    const connect = (host: string, port: number) =>
      `python3 -c "import socket; socket.create_connection(('${host}', ${port}), 5).close()"`;
    await sh("mirror-1", connect("vega", 22));
    await sh("vega", connect("mirror-1.lab.home.arpa", 22));
    // Any port, not only the forwarded ones: a throwaway web server on vega:4711.
    const stopProbe = await startProbe("vega", 4711);
    try {
      await eventually(
        "mirror-1 reaches vega:4711",
        10,
        async () => (await lab.sshExec("mirror-1", connect("vega", 4711))).code === 0,
      );
    } finally {
      await stopProbe();
    }
  });

  test("forwarded ports reach the host's services from this machine", async () => {
    // 8300 is forwarded but no fleet service listens on it on lyra (the converged lab's
    // orchestrator holds 8000), so what answers is the probe.
    const stopProbe = await startProbe("lyra", 8300);
    try {
      await eventually("127.0.0.11:8300 answers", 10, () => answersOk("127.0.0.11", 8300));
    } finally {
      await stopProbe();
    }
  });

  test("a forwarder that ends is started again within seconds, and its log says how it ended", async () => {
    const answers = () => answersOk("127.0.0.11", 8300);
    const stopProbe = await startProbe("lyra", 8300);
    try {
      await eventually("127.0.0.11:8300 answers", 10, answers);
      // The PID file names the supervisor; its one child is the forwarder that holds the port.
      const supervisor = readFileSync(join(labDir, "run", "forward-lyra-8300.pid"), "utf8").trim();
      const forwarder = readFileSync(`/proc/${supervisor}/task/${supervisor}/children`, "utf8").trim();
      assert.match(forwarder, /^\d+$/, `the supervisor ${supervisor} runs one forwarder`);
      // SIGPIPE ignored, as systemd starts services: a client gone mid-answer must not kill the proxy.
      const ignored = BigInt(
        `0x${/^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${forwarder}/status`, "utf8"))![1]}`,
      );
      assert.equal((ignored >> 12n) & 1n, 1n, "the forwarder ignores SIGPIPE (signal 13)");
      process.kill(Number(forwarder), "SIGKILL");
      await eventually("127.0.0.11:8300 answers again", 5, answers);
      const log = readFileSync(join(labDir, "logs", "forward-lyra-8300.log"), "utf8");
      assert.match(
        log,
        /forwarder 127\.0\.0\.11:8300 -> 10\.77\.0\.11:8300 ended after \d+s \(signal KILL\); starting it again/,
      );
    } finally {
      await stopProbe();
    }
  });

  test("apt inside a host reaches Debian through the lab's mirror forward", async () => {
    const update = await lab.sshExec("vega", "apt-get update", { timeoutMs: 180_000 });
    assert.equal(update.code, 0, update.stderr);
    assert.match(update.stdout, /deb\.debian\.org\/debian bookworm InRelease/);
    assert.match(update.stdout, /deb\.debian\.org\/debian-security bookworm-security InRelease/);
    assert.doesNotMatch(update.stdout + update.stderr, /^(Err|W):/m);
    assert.match(await sh("vega", "apt-cache policy rsync"), /Candidate: \d/);
  });

  test("wipeHost re-flashes a host: its files and machine-id are gone, its host key stays", async () => {
    await sh("mirror-1", "echo before-wipe > /root/lab-marker && test -s /root/lab-marker");
    const machineId = await sh("mirror-1", "cat /etc/machine-id");
    await wipeHost("mirror-1");
    // sshExec checks the host key strictly against the fixture: answering at all proves it is kept.
    assert.equal((await lab.sshExec("mirror-1", "test -e /root/lab-marker")).code, 1);
    assert.notEqual(await sh("mirror-1", "cat /etc/machine-id"), machineId);
    assert.equal(await sh("mirror-1", "sudo -n id -un", "deploy"), "root");
    assert.equal(await sh("vega", "getent hosts mirror-1 | cut -d' ' -f1"), "10.77.0.13");
  });

  test("a reboot inside a host comes back", async () => {
    const bootId = await sh("lyra", "cat /proc/sys/kernel/random/boot_id");
    // The connection may drop while systemd goes down; the exit code of this call means nothing.
    await lab.sshExec("lyra", "systemctl reboot", { timeoutMs: 30_000 });
    await eventually("lyra boots again", 60, async () => {
      const now = await lab.sshExec("lyra", "cat /proc/sys/kernel/random/boot_id", { timeoutMs: 10_000 });
      return now.code === 0 && now.stdout.trim() !== bootId;
    });
    const state = await lab.sshExec("lyra", "systemctl is-system-running --wait");
    assert.match(state.stdout.trim(), /^(running|degraded)$/);
  });
});
