/**
 * The SDK's closure-serialization modules are loaded only when a closure is serialized: not when the
 * SDK loads under Pulumi.yaml's node arguments, and then, on first use, for real (serialization
 * still works). Without the preload the SDK loads them at once: when an SDK upgrade stops doing
 * that, this test says the preload has become pointless.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { cliProgramDirectory, pulumiYamlNodeArgs } from "../program/evaluate";

/** What src/fleet/sdk-preload.cjs defers. */
const deferredModules = ["typescript", "@npmcli/arborist"];

/**
 * Loads the SDK in a fresh node with `args`, in the directory the CLI runs the program in; says
 * which deferred modules' files were then loaded.
 */
function loadSdk(args: string[], thenSerialize = false) {
  const script = `
    const pulumi = require("@pulumi/pulumi");
    const loaded = () => ${JSON.stringify(deferredModules)}.filter((name) => {
      const file = require.resolve(name, { paths: [require.resolve("@pulumi/pulumi")] });
      return require.cache[file] !== undefined;
    });
    const atLoad = loaded();
    (${thenSerialize}
      ? pulumi.runtime.serializeFunction(() => 6 * 7).then((s) => s.text)
      : Promise.resolve("")
    ).then((text) => console.log(JSON.stringify({ atLoad, afterwards: loaded(), text })));
  `;
  const run = spawnSync(process.execPath, [...args, "-e", script], {
    cwd: cliProgramDirectory(),
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { atLoad: string[]; afterwards: string[]; text: string };
}

test("under Pulumi.yaml's node arguments the SDK loads without TypeScript and Arborist", () => {
  const args = pulumiYamlNodeArgs();
  assert.ok(args.includes("lyra-fleet/sdk-preload"), args.join(" "));
  assert.deepEqual(loadSdk(args).atLoad, []);
});

test("a closure serialized all the same loads TypeScript for real, and the text is right", () => {
  const run = loadSdk(pulumiYamlNodeArgs(), true);
  assert.deepEqual(run.atLoad, []);
  assert.ok(run.afterwards.includes("typescript"), JSON.stringify(run.afterwards));
  assert.match(run.text, /exports\.handler = __f0;/);
  assert.match(run.text, /return \(\) => 6 \* 7;/);
});

test("without the preload the SDK loads both at once (else the preload has no purpose)", () => {
  assert.deepEqual(loadSdk(["--require", "tsx/cjs"]).atLoad.sort(), [...deferredModules].sort());
});
