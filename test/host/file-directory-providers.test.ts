/**
 * The File and Directory providers, driven like the engine drives them, against the in-process SSH
 * server (commands run on this machine, inside a private temp directory). The same scenarios on
 * real hosts, with units and packages: lab-*.test.ts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { HostConnection } from "../../src/host/transport/connection";
import { hostCounters, resetHostCounters } from "../../src/host/transport/counters";
import { directoryProvider } from "../../src/host/resources/directory";
import { isHostError, type HostError } from "../../src/host/transport/errors";
import { fileProvider } from "../../src/host/resources/file-provider";
import { closeAllHostConnections } from "../../src/host/transport/ssh";
import { captureOutput } from "./support/capture";
import { applyLikeEngine, FullProvider, refresh } from "./support/engine";
import { FakeSshServer, startFakeSshServer } from "./support/fake-ssh-server";
import { directoryInputs, fileInputs } from "./support/inputs";

const files = fileProvider as FullProvider;
const directories = directoryProvider as FullProvider;
let server: FakeSshServer;
let connection: HostConnection;
let root: string;

before(async () => {
  server = await startFakeSshServer();
  connection = server.connectionAs("fake-lyra");
  root = fs.mkdtempSync(path.join(os.tmpdir(), "lyra-host-test-"));
});

after(async () => {
  await closeAllHostConnections();
  await server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe("File provider", () => {
  it("creates the file with its parents, then a second apply reads once and writes nothing", async () => {
    const target = path.join(root, "etc/mosquitto/conf.d/lyra.conf");
    resetHostCounters();
    const first = await applyLikeEngine(
      files,
      undefined,
      fileInputs(connection, target, "listener 1883\n", { mode: "0640" }),
    );
    assert.equal(first.action, "create");
    assert.equal(fs.readFileSync(target, "utf8"), "listener 1883\n");
    assert.equal((fs.statSync(target).mode & 0o7777).toString(8), "640");
    assert.equal(first.state.id, `fake-lyra:${target}`);
    assert.equal(first.state.outs.content, undefined, "the content is never stored in outputs");
    resetHostCounters();
    const second = await applyLikeEngine(
      files,
      first.state,
      fileInputs(connection, target, "listener 1883\n", { mode: "0640" }),
    );
    assert.equal(second.action, "same");
    assert.deepEqual([hostCounters().remoteCommands, hostCounters().remoteWrites], [1, 0]);
    assert.ok(
      !fs.readdirSync(path.dirname(target)).some((name) => name.startsWith(".lyra-fleet.")),
      "no temp file left",
    );
  });

  it("sees a hand edit and a mode change, and repairs each with one write (metadata fixed in place)", async () => {
    const target = path.join(root, "drift.conf");
    const desired = fileInputs(connection, target, "wanted\n");
    let { state } = await applyLikeEngine(files, undefined, desired);

    fs.writeFileSync(target, "edited by hand\n");
    resetHostCounters();
    let outcome = await applyLikeEngine(files, state, desired);
    assert.deepEqual([outcome.action, outcome.differing], ["update", ["content"]]);
    assert.equal(fs.readFileSync(target, "utf8"), "wanted\n");
    assert.equal(hostCounters().remoteWrites, 1);
    state = outcome.state;

    fs.chmodSync(target, 0o600);
    const inode = fs.statSync(target).ino;
    resetHostCounters();
    outcome = await applyLikeEngine(files, state, desired);
    assert.deepEqual([outcome.action, outcome.differing], ["update", ["mode"]]);
    assert.equal((fs.statSync(target).mode & 0o777).toString(8), "644");
    assert.equal(fs.statSync(target).ino, inode, "only chmod, no rewrite");
    assert.equal(hostCounters().remoteWrites, 1);
  });

  it("reads a deleted file as absent and creates it again; replaces a symlink put in its place", async () => {
    const target = path.join(root, "gone.conf");
    const desired = fileInputs(connection, target, "x\n");
    const { state } = await applyLikeEngine(files, undefined, desired);
    fs.rmSync(target);
    assert.equal((await refresh(files, state))?.id, undefined, "reads as absent");
    const recreated = await applyLikeEngine(files, state, desired);
    assert.equal(recreated.action, "recreate");
    assert.equal(fs.readFileSync(target, "utf8"), "x\n");

    fs.rmSync(target);
    fs.symlinkSync("/etc/hostname", target);
    const refreshed = await refresh(files, recreated.state);
    assert.equal(refreshed?.outs.fileType, "symlink");
    const repaired = await applyLikeEngine(files, recreated.state, desired);
    assert.equal(repaired.action, "update");
    assert.ok(fs.lstatSync(target).isFile());
  });

  it("refuses to overwrite a directory standing where the file belongs, naming the host", async () => {
    const target = path.join(root, "is-a-dir");
    const desired = fileInputs(connection, target, "x\n");
    const { state } = await applyLikeEngine(files, undefined, desired);
    fs.rmSync(target);
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, "keep"), "data");
    await assert.rejects(applyLikeEngine(files, state, desired), (error: HostError) => {
      assert.equal(error.kind, "state");
      assert.match(
        error.message,
        /^fake-lyra \(root@127\.0\.0\.1:\d+\): .*is-a-dir is a directory, not a regular file.*nothing was changed/,
      );
      return true;
    });
    assert.equal(fs.readFileSync(path.join(target, "keep"), "utf8"), "data");
  });

  it("deletes the file", async () => {
    const target = path.join(root, "delete-me.conf");
    const { state } = await applyLikeEngine(files, undefined, fileInputs(connection, target, "x\n"));
    await files.delete(state.id, state.outs);
    assert.equal(fs.existsSync(target), false);
  });

  it("never shows secret content: not in errors, stacks, debug logs or outputs", async () => {
    const secret = "MQTT_PASSWORD=correct-horse-battery-staple\nTOKEN=0123456789abcdef\n";
    fs.writeFileSync(path.join(root, "not-a-dir"), "file");
    // The parent is a file, so mkdir fails on the host after the content was sent.
    const failing = fileInputs(connection, path.join(root, "not-a-dir/secret.env"), secret, { mode: "0600" });
    const failed = await captureOutput(() => applyLikeEngine(files, undefined, failing));
    assert.ok(isHostError(failed.error), String(failed.error));
    assert.match((failed.error as HostError).message, /^fake-lyra .*: write .*secret\.env: failed with exit code 1/);

    const working = fileInputs(connection, path.join(root, "secret.env"), secret, { mode: "0600" });
    const worked = await captureOutput(() => applyLikeEngine(files, undefined, working));
    assert.equal(worked.error, undefined);
    const everything = [failed.output, worked.output, JSON.stringify(worked.result)].join("\n");
    assert.match(everything, /\[lyra-host\] fake-lyra/, "debug logging was on");
    for (const part of ["correct-horse-battery-staple", "0123456789abcdef"])
      assert.ok(!everything.includes(part), `leaked ${part}`);
  });

  it("reports check failures by property", async () => {
    const checked = await files.check(
      {},
      { ...fileInputs(connection, "etc/relative", "x"), mode: "rw-r--r--", owner: "bad owner" },
    );
    assert.deepEqual(
      checked.failures?.map((f) => f.property),
      ["path", "mode", "owner"],
    );
  });
});

describe("Directory provider", () => {
  it("creates nested directories, repairs a mode change, and a second apply writes nothing", async () => {
    const target = path.join(root, "var/lib/lyra/cache");
    const desired = directoryInputs(connection, target, { mode: "0750" });
    let outcome = await applyLikeEngine(directories, undefined, desired);
    assert.equal((fs.statSync(target).mode & 0o7777).toString(8), "750");
    fs.chmodSync(target, 0o777);
    outcome = await applyLikeEngine(directories, outcome.state, desired);
    assert.deepEqual([outcome.action, outcome.differing], ["update", ["mode"]]);
    assert.equal((fs.statSync(target).mode & 0o7777).toString(8), "750");
    resetHostCounters();
    outcome = await applyLikeEngine(directories, outcome.state, desired);
    assert.deepEqual([outcome.action, hostCounters().remoteWrites], ["same", 0]);
  });

  it("delete removes an empty directory but keeps one that holds undeclared files", async () => {
    const empty = path.join(root, "empty-dir");
    const full = path.join(root, "full-dir");
    const a = await applyLikeEngine(directories, undefined, directoryInputs(connection, empty));
    const b = await applyLikeEngine(directories, undefined, directoryInputs(connection, full));
    fs.writeFileSync(path.join(full, "cache.db"), "data");
    await directories.delete(a.state.id, a.state.outs);
    const { output } = await captureOutput(() => directories.delete(b.state.id, b.state.outs));
    assert.equal(fs.existsSync(empty), false);
    assert.equal(fs.readFileSync(path.join(full, "cache.db"), "utf8"), "data");
    assert.match(output, /fake-lyra .*: kept .*full-dir: it still holds files nobody declared/);
  });
});
