/**
 * The providers work as the engine runs them: each resource carries a small entry text
 * (src/host/resources/provider-entry.ts), written with Pulumi.yaml's node arguments (as the Pulumi
 * CLI loads the program) and loaded with require-from-string in a plain Node.js process started in
 * the project's directory (as the dynamic provider host is), where it loads the provider from the
 * checkout; they still read, diff, write and delete over SSH. This is the one test that catches
 * what only breaks inside the engine (a module the entry cannot find or require).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pulumiYamlNodeArgs } from "../program/evaluate";
import { FakeSshServer, startFakeSshServer } from "./support/fake-ssh-server";

const repo = path.resolve(__dirname, "../..");
let server: FakeSshServer;
let scratch: string;

/** Runs a child process to completion, keeping this process's event loop free for the fake server. */
function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repo, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (status) => {
      clearTimeout(killer);
      resolve({ status, stdout, stderr });
    });
  });
}

before(async () => {
  server = await startFakeSshServer();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lyra-host-serialized-"));
});

after(async () => {
  await server.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe("serialized providers", () => {
  it("are small entries that name the checkout's module", async () => {
    const serialized = await run([...pulumiYamlNodeArgs(), "test/host/support/serialize-providers.ts", scratch]);
    assert.equal(serialized.status, 0, serialized.stderr);
    for (const [name, module] of [
      ["hostState", "src/host/resources/host-state-provider"],
      ["healthGate", "src/host/resources/health-gate-provider"],
    ]) {
      const text = fs.readFileSync(path.join(scratch, `${name}.js`), "utf8");
      assert.ok(text.length < 5_000, `${name}: ${text.length} bytes`);
      assert.ok(text.includes(`"${module}"`), `${name} names ${module}`);
      assert.deepEqual(
        [...new Set(text.match(/require\("[^"]+"\)/g))].sort(),
        ['require("fs")', 'require("path")'],
        name,
      );
    }
  });

  it("work when loaded the way the dynamic provider host loads them", async () => {
    const connection = server.connectionAs("fake-vega");
    const driven = await run(["test/host/support/drive-serialized.js", scratch, JSON.stringify(connection), scratch]);
    assert.equal(driven.status, 0, driven.stderr);
    const out = JSON.parse(driven.stdout);
    assert.equal(out.createdId, `fake-vega:${scratch}/served/by/serialized.conf`);
    assert.equal(out.contentOnDisk, "one\n");
    assert.match(out.readSha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      [out.diffSame.changes, out.diffChanged.changes, out.diffChanged.differing],
      [false, true, ["content"]],
    );
    assert.equal(out.contentAfterUpdate, "two\n");
    assert.equal(out.existsAfterDelete, false);
    assert.deepEqual([out.directoryMode, out.directoryExistsAfterDelete], ["700", false]);
    assert.equal(out.coreutilsInstalled, true);
    assert.deepEqual(out.unitDiff.differing, ["triggers"]);
    assert.deepEqual(out.hostStateFiles, ["a\n", "s3cret\n"]);
    assert.deepEqual(
      [out.hostStateSame.changes, out.hostStateChanged.changes, out.hostStateChanged.differing],
      [false, true, [`file ${scratch}/host-state/plain.conf: content`]],
    );
    assert.match(
      out.hostStateUnreadable.unreadable,
      /^fake-vega \(root@127\.0\.0\.1:1\): cannot reach sshd \(ECONNREFUSED\)/,
    );
    assert.equal(out.hostStateUnreadable.keptFiles, 1, "the last known state is kept");
    assert.equal(out.hostStateExistsAfterDelete, false);
    assert.deepEqual(
      out.unitCheck.failures.map((f: { property: string }) => f.property),
      ["name"],
    );
    // Error path: HostError and the unreachable-code lookup survive serialization too.
    assert.equal(out.unreachable.name, "HostError");
    assert.equal(out.unreachable.kind, "unreachable");
    assert.match(out.unreachable.message, /^mirror-7 \(root@127\.0\.0\.1:1\): cannot reach sshd \(ECONNREFUSED\)/);
  });
});
