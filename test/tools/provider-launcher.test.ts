/**
 * The dynamic-provider launcher (scripts/pulumi-cli/pulumi-resource-pulumi-nodejs), started as the
 * engine starts it: in the program's directory, with the engine's address. It serves (prints its
 * gRPC port) with the project's SDK preload when the project has one (test/fleet/sdk-preload.test.ts
 * checks what the preload does), and without it when it does not.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const root = join(__dirname, "..", "..");
const launcher = join(root, "scripts", "pulumi-cli", "pulumi-resource-pulumi-nodejs");
const preload = join(root, "src", "fleet", "sdk-preload.cjs");
const scratch = mkdtempSync(join(tmpdir(), "lyra-launcher-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Starts the launcher in `cwd`; resolves with its port line and its node's command line, then stops it. */
function launch(cwd: string): Promise<{ port: string; argv: string[] }> {
  return new Promise((resolve, reject) => {
    // An engine address nothing listens on: the provider serves until it is asked something.
    const child = spawn("sh", [launcher, "127.0.0.1:1"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the provider did not print its port in 30 s:\n${stderr}`));
    }, 30_000);
    child.stdout.once("data", (chunk) => {
      clearTimeout(timer);
      // `exec node`: the launcher's pid is node's.
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      child.kill("SIGKILL");
      resolve({ port: String(chunk).trim(), argv });
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code !== null) reject(new Error(`the provider exited ${code}:\n${stderr}`));
    });
  });
}

test("in the project (the engine starts it in src/), the provider serves with the project's SDK preload", async () => {
  const run = await launch(join(root, "src"));
  assert.match(run.port, /^\d+$/);
  assert.equal(run.argv[0], "node");
  assert.deepEqual(run.argv.slice(1, 3), ["--require", preload], run.argv.join(" "));
  assert.ok(run.argv.some((arg) => arg.endsWith("exit-with-engine.cjs")));
  assert.ok(run.argv.some((arg) => arg.endsWith(join("cmd", "dynamic-provider", "index.js"))));
});

test("in a project without the preload, the provider serves all the same, without it", async () => {
  const project = join(scratch, "other");
  mkdirSync(join(project, "src"), { recursive: true });
  writeFileSync(join(project, "Pulumi.yaml"), "name: other\nruntime: nodejs\n");
  symlinkSync(join(root, "node_modules"), join(project, "node_modules"));
  const run = await launch(join(project, "src"));
  assert.match(run.port, /^\d+$/);
  assert.ok(!run.argv.some((arg) => arg.endsWith("sdk-preload.cjs")), run.argv.join(" "));
});
