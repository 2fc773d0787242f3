/**
 * The SSH transport against an in-process SSH server on loopback: pinning, deadlines, sudo,
 * pooling, counters and scrubbing. (Real sshd on real hosts: the lab tests.)
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { HostConnection } from "../../src/host/transport/connection";
import { hostCounters, resetHostCounters } from "../../src/host/transport/counters";
import { isHostError, type HostError } from "../../src/host/transport/errors";
import { sha256Fingerprint } from "../../src/host/transport/host-key";
import { closeAllHostConnections, runRemote, runRemoteChecked } from "../../src/host/transport/ssh";
import {
  FakeSshServer,
  freeLoopbackPort,
  startFakeSshServer,
  startSilentListener,
  startSlowLoginRelay,
} from "./support/fake-ssh-server";
import { testSshKey } from "../support/ssh-test-key";

let server: FakeSshServer;
let root: HostConnection;

function fingerprintOf(keyLine: string): string {
  return sha256Fingerprint(Buffer.from(keyLine.split(" ")[1], "base64"));
}

async function rejection(promise: Promise<unknown>): Promise<HostError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isHostError(error), `expected a HostError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

before(async () => {
  server = await startFakeSshServer();
  root = server.connectionAs("fake-vega");
});

after(async () => {
  await closeAllHostConnections();
  await server.close();
});

describe("ssh transport", () => {
  it("runs scripts with arguments and stdin over one pooled connection, counting commands and writes", async () => {
    await closeAllHostConnections();
    resetHostCounters();
    const loginsBefore = server.logins;
    const echoed = await runRemoteChecked(root, 'printf "%s|%s" "$1" "$2"', {
      purpose: "echo arguments",
      args: ["it's", "two words"],
    });
    assert.equal(echoed, "it's|two words");
    const fromStdin = await runRemoteChecked(root, "cat", { purpose: "echo stdin", stdin: "héllo\n", writes: true });
    assert.equal(fromStdin, "héllo\n");
    const failed = await runRemote(root, "echo oops >&2; exit 3", { purpose: "fail on purpose" });
    assert.deepEqual([failed.exitCode, failed.stderr], [3, "oops\n"]);
    assert.equal(server.logins - loginsBefore, 1, "one login serves every command");
    assert.deepEqual(
      [hostCounters().remoteCommands, hostCounters().remoteWrites, hostCounters().connectionsOpened],
      [3, 1, 1],
    );
    assert.equal(hostCounters("fake-vega").remoteCommands, 3);
    assert.equal(hostCounters("another-host").remoteCommands, 0);
  });

  it("puts a deadline on the remote command too (timeout -k), so nothing outlives it", async () => {
    await runRemoteChecked(root, "true", { purpose: "probe" });
    assert.match(server.commands.at(-1)!, /^timeout -k 5 60 sh -c 'true' lyra-host$/);
  });

  it("queues parallel commands so no more than 5 channels are open on one connection (sshd MaxSessions is 10)", async () => {
    const outputs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        runRemoteChecked(root, 'sleep 0.1; echo "$1"', { purpose: `parallel ${i}`, args: [String(i)] }),
      ),
    );
    assert.deepEqual(
      outputs,
      Array.from({ length: 20 }, (_, i) => `${i}\n`),
    );
    assert.ok(server.maxConcurrentExecs <= 5, `saw ${server.maxConcurrentExecs} channels at once`);
  });

  it("retries a command whose channel the host refused (sshd's MaxSessions), keeping the connection", async () => {
    const strict = await startFakeSshServer({ maxSessions: 4 });
    try {
      const connection = {
        ...root,
        host: "fake-strict",
        port: strict.port,
        hostKey: strict.hostKey,
        privateKey: strict.clientKey,
      };
      resetHostCounters();
      const outputs = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          runRemoteChecked(connection, 'sleep 0.3; echo "$1"', {
            purpose: `write ${i}`,
            args: [String(i)],
            writes: true,
          }),
        ),
      );
      assert.deepEqual(outputs, ["0\n", "1\n", "2\n", "3\n", "4\n", "5\n"]);
      assert.ok(strict.refusedSessions >= 1, "the host refused a channel");
      assert.equal(strict.logins, 1, "the connection was kept");
      assert.equal(hostCounters("fake-strict").remoteWrites, 6, "a retried write counts once");
    } finally {
      await closeAllHostConnections();
      await strict.close();
    }
  });

  it("opens a new connection when the pooled one died between commands (the host rebooted)", async () => {
    await runRemoteChecked(root, "true", { purpose: "open the pooled connection" });
    const loginsBefore = server.logins;
    server.dropConnections();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await runRemoteChecked(root, "echo read", { purpose: "a read" }), "read\n");
    server.dropConnections();
    assert.equal(await runRemoteChecked(root, "echo write", { purpose: "a write", writes: true }), "write\n");
    assert.equal(server.logins - loginsBefore, 2);
  });

  it("refuses a host whose key differs from the pin before running anything, naming both fingerprints", async () => {
    const wrongPin = testSshKey().publicKey;
    const commandsBefore = server.commands.length;
    const error = await rejection(
      runRemote({ ...root, host: "fake-mirror", hostKey: wrongPin }, "touch /tmp/should-not-exist", {
        purpose: "write something",
        writes: true,
      }),
    );
    assert.equal(error.kind, "host-key");
    assert.match(error.message, /^fake-mirror \(root@127\.0\.0\.1:\d+\): host key mismatch/);
    assert.ok(error.message.includes(fingerprintOf(wrongPin)), "names the pinned fingerprint");
    assert.ok(error.message.includes(fingerprintOf(server.hostKey)), "names the presented fingerprint");
    assert.match(error.message, /nothing was changed/);
    assert.equal(server.commands.length, commandsBefore, "no command reached the host");
  });

  it("does not reuse a pooled connection for a request that pins another key", async () => {
    await runRemoteChecked(root, "true", { purpose: "open the pooled connection" });
    const commandsBefore = server.commands.length;
    const error = await rejection(
      runRemote({ ...root, hostKey: testSshKey().publicKey }, "true", { purpose: "reuse" }),
    );
    assert.equal(error.kind, "host-key");
    assert.equal(server.commands.length, commandsBefore);
  });

  it("fails fast naming the host when nothing listens on the address", { timeout: 30_000 }, async () => {
    const port = await freeLoopbackPort();
    const error = await rejection(runRemote({ ...root, host: "mirror-9", port }, "true", { purpose: "probe" }));
    assert.equal(error.kind, "unreachable");
    assert.match(
      error.message,
      new RegExp(`^mirror-9 \\(root@127\\.0\\.0\\.1:${port}\\): cannot reach sshd \\(ECONNREFUSED\\)`),
    );
    // Failed on the refusal itself, not at the connect deadline (whose message would say "no SSH answer").
    assert.doesNotMatch(error.message, /no SSH answer/);
  });

  it(
    "gives up on a listener that never answers within connectTimeoutMs (never hangs)",
    { timeout: 30_000 },
    async () => {
      const silent = await startSilentListener();
      try {
        const error = await rejection(
          runRemote({ ...root, host: "mirror-8", port: silent.port, connectTimeoutMs: 1500 }, "true", {
            purpose: "probe",
          }),
        );
        assert.equal(error.kind, "unreachable");
        // Ended by the connect deadline (its message names it), on the one connection the host accepted,
        // and the transport hung up that connection instead of leaving it open.
        assert.match(error.message, /^mirror-8 \(root@127\.0\.0\.1:\d+\): no SSH answer within 1\.5 s/);
        assert.equal(silent.accepted, 1, "one connection, not retried");
        await silent.hungUp();
      } finally {
        await silent.close();
      }
    },
  );

  it("gives a host whose sshd has answered longer for the key exchange and login (a busy host)", async () => {
    // sshd's version line at once, the rest of its handshake 1.5 s later: past the 1 s connect
    // deadline, within the login deadline (three of them).
    const busy = await startSlowLoginRelay(server.port, 1500);
    try {
      const output = await runRemoteChecked(
        { ...root, host: "mirror-7", port: busy.port, connectTimeoutMs: 1000 },
        "echo up",
        {
          purpose: "probe",
        },
      );
      assert.equal(output, "up\n");
      assert.equal(busy.accepted, 1);
    } finally {
      await closeAllHostConnections();
      await busy.close();
    }
  });

  it("gives up on a login that stalls after sshd answered, at the login deadline", { timeout: 30_000 }, async () => {
    const stalled = await startSlowLoginRelay(server.port);
    try {
      const error = await rejection(
        runRemote({ ...root, host: "mirror-6", port: stalled.port, connectTimeoutMs: 500 }, "true", {
          purpose: "probe",
        }),
      );
      assert.equal(error.kind, "unreachable");
      assert.match(
        error.message,
        /^mirror-6 \(root@127\.0\.0\.1:\d+\): sshd answered, but the key exchange and login did not finish within 1\.5 s/,
      );
      assert.equal(stalled.accepted, 1, "one connection, not retried");
      await stalled.hungUp();
    } finally {
      await stalled.close();
    }
  });

  it("stops a command that runs past its deadline", { timeout: 30_000 }, async () => {
    const error = await rejection(runRemote(root, "sleep 30", { purpose: "sleep too long", timeoutMs: 1000 }));
    assert.equal(error.kind, "timeout");
    // Stopped on the host by its own `timeout 1` (exit 124), not by the local fallback that drops
    // the connection ("no answer within ...; the connection was dropped").
    assert.match(server.commands.at(-1)!, /^timeout -k 5 1 /);
    assert.match(error.message, /^fake-vega .*: sleep too long: did not finish within 1 s and was stopped$/);
  });

  it("runs as a non-root user through sudo -n, and says so when sudo wants a password", async () => {
    const deploy = { ...root, user: "deploy" };
    assert.equal(await runRemoteChecked(deploy, "echo ok", { purpose: "probe" }), "ok\n");
    assert.match(server.commands.at(-1)!, /^sudo -n -- timeout /);
    const error = await rejection(
      runRemote({ ...root, user: "nopass" }, "echo ok", { purpose: "restart qdrant.service" }),
    );
    assert.equal(error.kind, "sudo");
    assert.match(error.message, /nopass is not root and sudo asks for a password.*NOPASSWD/);
  });

  it("refuses a login with a key the host does not accept, naming the user", async () => {
    const error = await rejection(
      runRemote({ ...root, host: "fake-lyra", privateKey: testSshKey().privateKey }, "true", { purpose: "probe" }),
    );
    assert.equal(error.kind, "auth");
    assert.match(error.message, /^fake-lyra .*: SSH login as root was refused \(tried the given private key\)/);
  });

  it("rejects an unpinned connection before connecting", async () => {
    const error = await rejection(runRemote({ ...root, hostKey: "" }, "true", { purpose: "probe" }));
    assert.equal(error.kind, "invalid-connection");
    assert.match(error.message, /connection\.hostKey must be the host's pinned OpenSSH public key line/);
  });

  it("keeps stdin, the private key and named secrets out of every message and debug line", async () => {
    const secret = "mqtt-password=Sup3r-S3cret-Value\nsecond line of the secret\n";
    const stderrWrites: string[] = [];
    const originalWrite = process.stderr.write.bind(process.stderr);
    process.env.LYRA_HOST_DEBUG = "1";
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderrWrites.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let error: HostError;
    try {
      // The command echoes its stdin to stderr and fails: the worst case for a leak.
      error = await rejection(
        runRemoteChecked(root, "cat >&2; exit 4", {
          purpose: "write /etc/lyra/secret.env",
          stdin: secret,
          writes: true,
        }),
      );
    } finally {
      process.stderr.write = originalWrite;
      delete process.env.LYRA_HOST_DEBUG;
    }
    assert.match(error.message, /failed with exit code 4: \[secret\]/);
    const everything = [error.message, error.stack ?? "", ...stderrWrites].join("\n");
    for (const part of ["Sup3r-S3cret-Value", "second line of the secret", server.clientKey.split("\n")[1]]) {
      assert.ok(!everything.includes(part), `leaked: ${part}`);
    }
    assert.ok(
      stderrWrites.some((line) => line.includes("[lyra-host] fake-vega")),
      "debug lines were written",
    );
  });

  it("closes idle pooled connections on request, and the awaiting process stays alive until they are", async () => {
    const script = `
            const { runRemoteChecked, closeAllHostConnections } = require("./src/host/transport/ssh");
            (async () => {
                await runRemoteChecked(${JSON.stringify(root)}, "true", { purpose: "probe" });
                await new Promise((resolve) => setTimeout(resolve, 50));
                await closeAllHostConnections();
                process.stdout.write("closed");
            })();
        `;
    const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { cwd: `${__dirname}/../..` });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    await new Promise((resolve) => child.on("close", resolve));
    assert.equal(stdout, "closed");
  });

  it("lets the process exit while a connection is pooled and idle", { timeout: 30_000 }, async () => {
    // At exit the child reports how many pooled connections are still open: 1 means it exited
    // while the idle connection was pooled, before the idle close (5 s) hung it up.
    const script = `
            const { runRemoteChecked, closeAllHostConnections } = require("./src/host/transport/ssh");
            process.on("exit", () => {
              const pool = globalThis[Symbol.for("lyra-fleet.host.ssh-pool")];
              process.stdout.write("open at exit: " + [...pool.open.values()].filter((c) => !c.closed).length + "\\n");
            });
            runRemoteChecked(${JSON.stringify(root)}, "echo done", { purpose: "probe" }).then((out) => process.stdout.write(out));
        `;
    // Asynchronous spawn: the fake server lives in this process and must keep answering.
    const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { cwd: `${__dirname}/../..` });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const killer = setTimeout(() => child.kill(), 15_000);
    const status = await new Promise((resolve) => child.on("close", resolve));
    clearTimeout(killer);
    assert.equal(stdout, "done\nopen at exit: 1\n", stderr);
    assert.equal(status, 0);
  });
});
