/**
 * Lab: File and Directory on a real host (vega) over real SSH, driven like the engine drives them.
 * Ground truth comes from the lab's own OpenSSH client, not from the code under test.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HostConnection } from "../../src/host/transport/connection";
import { hostCounters, resetHostCounters } from "../../src/host/transport/counters";
import { directoryProvider } from "../../src/host/resources/directory";
import { isHostError, type HostError } from "../../src/host/transport/errors";
import { fileProvider } from "../../src/host/resources/file-provider";
import { sha256Fingerprint } from "../../src/host/transport/host-key";
import { closeAllHostConnections } from "../../src/host/transport/ssh";
import { captureOutput } from "./support/capture";
import { applyLikeEngine, applyStack, destroyStack, FullProvider, refresh, StackResource } from "./support/engine";
import { startSilentListener } from "./support/fake-ssh-server";
import { directoryInputs, fileInputs } from "./support/inputs";
import { type Lab, lab as ensureLab, labConnection, onHost } from "./support/lab";

const HOST = "vega";
const BASE = "/etc/lyra-host-test";
const files = fileProvider as FullProvider;
const directories = directoryProvider as FullProvider;
let lab: Lab;
let root: HostConnection;

function fingerprintOf(keyLine: string): string {
  return sha256Fingerprint(Buffer.from(keyLine.split(" ")[1], "base64"));
}

async function failure(promise: Promise<unknown>): Promise<HostError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isHostError(error), String(error));
    return error;
  }
  assert.fail("expected a failure");
}

before(async () => {
  lab = await ensureLab();
  root = labConnection(lab, HOST);
  await onHost(lab, HOST, `rm -rf ${BASE} /var/lib/lyra-host-test`);
});

after(async () => {
  await onHost(lab, HOST, `rm -rf ${BASE} /var/lib/lyra-host-test`);
  await closeAllHostConnections();
});

describe(`lab: File and Directory on ${HOST}`, () => {
  const stack: StackResource[] = [];

  it("creates a directory and a file, reads them back in sync; a second apply writes nothing", async () => {
    stack.push(
      {
        label: "cache",
        provider: directories,
        desired: () => directoryInputs(root, "/var/lib/lyra-host-test/cache", { mode: "0750" }),
      },
      {
        label: "config",
        provider: files,
        desired: () => fileInputs(root, `${BASE}/app/app.conf`, "port = 8000\n", { mode: "0640", group: "adm" }),
      },
    );
    const first = await applyStack(stack);
    assert.deepEqual([first.cache.action, first.config.action], ["create", "create"]);
    assert.equal(await onHost(lab, HOST, `cat ${BASE}/app/app.conf`), "port = 8000\n");
    assert.equal(
      await onHost(lab, HOST, `stat -c '%a %U %G' ${BASE}/app/app.conf /var/lib/lyra-host-test/cache`),
      "640 root adm\n750 root root\n",
    );

    resetHostCounters();
    const second = await applyStack(stack);
    assert.deepEqual([second.cache.action, second.config.action], ["same", "same"]);
    assert.deepEqual([hostCounters(HOST).remoteCommands, hostCounters(HOST).remoteWrites], [2, 0]);
  });

  it("reports a hand-edited file and a changed mode, and repairs both", async () => {
    await onHost(
      lab,
      HOST,
      `echo 'port = 9999' > ${BASE}/app/app.conf && chmod 666 ${BASE}/app/app.conf && chmod 700 /var/lib/lyra-host-test/cache`,
    );
    const config = stack[1];
    const refreshed = await refresh(files, config.state!);
    assert.equal(refreshed?.outs.mode, "0666");
    assert.notEqual(refreshed?.outs.sha256, config.state!.outs.sha256);
    resetHostCounters();
    const repaired = await applyStack(stack);
    assert.deepEqual(repaired.config.differing, ["content", "mode"]);
    assert.deepEqual(repaired.cache.differing, ["mode"]);
    assert.equal(hostCounters(HOST).remoteWrites, 2, "one write per resource");
    assert.equal(
      await onHost(lab, HOST, `cat ${BASE}/app/app.conf; stat -c %a ${BASE}/app/app.conf`),
      "port = 8000\n640\n",
    );
    assert.equal(await onHost(lab, HOST, "stat -c %a /var/lib/lyra-host-test/cache"), "750\n");
  });

  it("deletes what it manages", async () => {
    await destroyStack(stack);
    assert.equal(
      await onHost(
        lab,
        HOST,
        `test -e ${BASE}/app/app.conf || echo gone; test -e /var/lib/lyra-host-test/cache || echo gone`,
      ),
      "gone\ngone\n",
    );
  });

  it("works as the deploy user through sudo -n", async () => {
    const deploy = labConnection(lab, HOST, "deploy");
    const path = `${BASE}/as-deploy.env`;
    const { state } = await applyLikeEngine(files, undefined, fileInputs(deploy, path, "A=1\n", { mode: "0600" }));
    assert.equal(await onHost(lab, HOST, `stat -c '%a %U' ${path}; cat ${path}`), "600 root\nA=1\n");
    resetHostCounters();
    assert.equal(
      (await applyLikeEngine(files, state, fileInputs(deploy, path, "A=1\n", { mode: "0600" }))).action,
      "same",
    );
    assert.equal(hostCounters(HOST).remoteWrites, 0);
    await files.delete(state.id, state.outs);
    assert.equal(await onHost(lab, HOST, `test -e ${path} || echo gone`), "gone\n");
  });

  it("says so, naming the host, when the user's sudo wants a password (and changes nothing)", async () => {
    // A user like deploy, but without NOPASSWD: what a freshly installed Pi's admin user looks like.
    await onHost(
      lab,
      HOST,
      `id lyra-pw >/dev/null 2>&1 || useradd -m -s /bin/sh lyra-pw
echo 'lyra-pw ALL=(ALL) ALL' > /etc/sudoers.d/lyra-pw && chmod 440 /etc/sudoers.d/lyra-pw
install -d -m 700 -o lyra-pw -g lyra-pw ~lyra-pw/.ssh
install -m 600 -o lyra-pw -g lyra-pw ~deploy/.ssh/authorized_keys ~lyra-pw/.ssh/authorized_keys`,
    );
    try {
      const path = `${BASE}/needs-sudo.conf`;
      const error = await failure(
        applyLikeEngine(files, undefined, fileInputs(labConnection(lab, HOST, "lyra-pw"), path, "x\n")),
      );
      assert.equal(error.kind, "sudo");
      assert.match(
        error.message,
        /^vega \(lyra-pw@127\.0\.0\.12:22\): read .*: lyra-pw is not root and sudo asks for a password; give lyra-pw passwordless sudo \(NOPASSWD\)/,
      );
      assert.equal(await onHost(lab, HOST, `test -e ${path} || echo absent`), "absent\n");
    } finally {
      await onHost(lab, HOST, "rm -f /etc/sudoers.d/lyra-pw; userdel -r lyra-pw 2>/dev/null; true");
    }
  });

  it("refuses a wrong host key before anything is written, naming host, address and both fingerprints", async () => {
    const lyraKey = lab.host("lyra").hostKey;
    const path = `${BASE}/must-not-exist.conf`;
    const error = await failure(
      applyLikeEngine(files, undefined, fileInputs({ ...root, hostKey: lyraKey }, path, "x\n")),
    );
    assert.equal(error.kind, "host-key");
    assert.match(error.message, /^vega \(root@127\.0\.0\.12:22\): host key mismatch/);
    assert.ok(error.message.includes(fingerprintOf(lyraKey)) && error.message.includes(fingerprintOf(root.hostKey)));
    assert.match(error.message, /nothing was changed/);
    assert.equal(await onHost(lab, HOST, `test -e ${path} || echo absent`), "absent\n");
  });

  it("fails naming the host when the address refuses or never answers", { timeout: 120_000 }, async () => {
    const refused = await failure(
      applyLikeEngine(
        files,
        undefined,
        fileInputs({ ...root, host: "mirror-2", address: "127.0.0.14" }, `${BASE}/x`, "x"),
      ),
    );
    // Given up on the refusal, not at the connect deadline (whose message says "no SSH answer").
    assert.match(refused.message, /^mirror-2 \(root@127\.0\.0\.14:22\): cannot reach sshd/);
    assert.doesNotMatch(refused.message, /no SSH answer/);
    // A listener that accepts and never speaks: only the connect deadline (default 10 s) ends it.
    const silent = await startSilentListener();
    try {
      const hung = await failure(
        applyLikeEngine(
          files,
          undefined,
          fileInputs({ ...root, host: "mirror-3", address: "127.0.0.1", port: silent.port }, `${BASE}/x`, "x"),
        ),
      );
      // Ended by the default connect deadline (its message names it), on the one connection the
      // listener accepted, which the transport then hung up.
      assert.match(hung.message, /^mirror-3 \(root@127\.0\.0\.1:\d+\): no SSH answer within 10 s/);
      assert.equal(silent.accepted, 1);
      await silent.hungUp();
    } finally {
      await silent.close();
    }
  });

  it("keeps a secret file's content out of every error, log line and state", async () => {
    const secret = "BROKER_PASSWORD=lab-secret-9f8e7d6c5b4a\nAPI_TOKEN=tok_0a1b2c3d4e5f6a7b\n";
    const deploy = labConnection(lab, HOST, "deploy");
    await onHost(lab, HOST, `mkdir -p ${BASE} && touch ${BASE}/a-file`);
    const failed = await captureOutput(() =>
      applyLikeEngine(files, undefined, fileInputs(deploy, `${BASE}/a-file/secret.env`, secret, { mode: "0600" })),
    );
    assert.match(
      String((failed.error as Error)?.message),
      /^vega \(deploy@127\.0\.0\.12:22\): write .*: failed with exit code/,
    );
    const worked = await captureOutput(() =>
      applyLikeEngine(files, undefined, fileInputs(deploy, `${BASE}/secret.env`, secret, { mode: "0600" })),
    );
    assert.equal(await onHost(lab, HOST, `cat ${BASE}/secret.env`), secret, "the content did arrive");
    const everything = [failed.output, worked.output, JSON.stringify(worked.result)].join("\n");
    assert.match(everything, /\[lyra-host\] vega/);
    for (const part of ["lab-secret-9f8e7d6c5b4a", "tok_0a1b2c3d4e5f6a7b"])
      assert.ok(!everything.includes(part), `leaked ${part}`);
  });
});
