/**
 * The modules the SDK and its runner load but the program never uses (closure serialization, the
 * Automation API, OpenTelemetry's tracer) are loaded only on first use: not when the SDK loads under
 * Pulumi.yaml's node arguments, and then for real (serialization still works, the Automation API
 * is there). Without the preload the SDK loads them at once: when an SDK upgrade stops doing that
 * for one of them, this test says that part of the preload has become pointless.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { cliProgramDirectory, pulumiYamlNodeArgs } from "../program/evaluate";

/** What src/fleet/sdk-preload.cjs defers, each with the SDK file that requires it. */
const deferredModules: Record<string, string> = {
  typescript: "@pulumi/pulumi/typescript-shim",
  "@npmcli/arborist": "@pulumi/pulumi/runtime/closure/codePaths",
  "normalize-package-data": "@pulumi/pulumi/runtime/closure/codePaths",
  "./automation": "@pulumi/pulumi/index",
  "@opentelemetry/resources": "@pulumi/pulumi/cmd/run/tracing",
  "@opentelemetry/sdk-trace-base": "@pulumi/pulumi/cmd/run/tracing",
  "@opentelemetry/sdk-trace-node": "@pulumi/pulumi/cmd/run/tracing",
  "@opentelemetry/exporter-zipkin": "@pulumi/pulumi/cmd/run/tracing",
  "@opentelemetry/instrumentation": "@pulumi/pulumi/cmd/run/tracing",
  "@opentelemetry/instrumentation-grpc": "@pulumi/pulumi/cmd/run/tracing",
};
const deferred = Object.keys(deferredModules);

/**
 * Loads the SDK and the runner's tracing module (what the CLI's runner loads) in a fresh node with
 * `args`, in the directory the CLI runs the program in; says which deferred modules' files were
 * then loaded, and after `then` ran.
 */
function loadSdk(args: string[], then: "nothing" | "serialize" | "automation" = "nothing") {
  const script = `
    const path = require("path");
    const pulumi = require("@pulumi/pulumi");
    require("@pulumi/pulumi/cmd/run/tracing");
    const modules = ${JSON.stringify(deferredModules)};
    const loaded = () => Object.keys(modules).filter((name) => {
      const from = path.dirname(require.resolve(modules[name]));
      return require.cache[require.resolve(name, { paths: [from] })] !== undefined;
    });
    const atLoad = loaded();
    const then = {
      nothing: () => Promise.resolve(""),
      serialize: () => pulumi.runtime.serializeFunction(() => 6 * 7).then((s) => s.text),
      automation: () => Promise.resolve(typeof pulumi.automation.LocalWorkspace.create),
    }[${JSON.stringify(then)}];
    then().then((text) => console.log(JSON.stringify({ atLoad, afterwards: loaded(), text })));
  `;
  const run = spawnSync(process.execPath, [...args, "-e", script], {
    cwd: cliProgramDirectory(),
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { atLoad: string[]; afterwards: string[]; text: string };
}

test("under Pulumi.yaml's node arguments the SDK loads none of the modules it defers", () => {
  const args = pulumiYamlNodeArgs();
  assert.ok(args.includes("lyra-fleet/sdk-preload"), args.join(" "));
  assert.deepEqual(loadSdk(args).atLoad, []);
});

test("a closure serialized all the same loads TypeScript for real, and the text is right", () => {
  const run = loadSdk(pulumiYamlNodeArgs(), "serialize");
  assert.deepEqual(run.atLoad, []);
  assert.ok(run.afterwards.includes("typescript"), JSON.stringify(run.afterwards));
  assert.match(run.text, /exports\.handler = __f0;/);
  assert.match(run.text, /return \(\) => 6 \* 7;/);
});

test("the Automation API, read all the same, is loaded for real", () => {
  const run = loadSdk(pulumiYamlNodeArgs(), "automation");
  assert.deepEqual(run.atLoad, []);
  assert.deepEqual(run.afterwards, ["./automation"]);
  assert.equal(run.text, "function");
});

test("without the preload the SDK loads every one of them at once (else deferring it has no purpose)", () => {
  assert.deepEqual(loadSdk(["--require", "tsx/cjs"]).atLoad.sort(), [...deferred].sort());
});
