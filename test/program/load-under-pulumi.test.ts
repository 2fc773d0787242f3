/**
 * The Pulumi CLI's runner loads src/index.ts with the node arguments Pulumi.yaml gives it
 * (`nodeargs`), and with `typescript: false` nothing else: no ts-node. Do exactly that under mocks,
 * so nothing that only the tests' own loader tolerates slips in. (bench/program-scale.ts runs the
 * same options through the project's language host; the cli layer through the real CLI.)
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import YAML from "yaml";
import { DYNAMIC_PROVIDER_WARMUP_TOKEN } from "../../src/fleet/provider-warmup";
import { evaluate, pulumiYamlNodeArgs, stackFleet, testSecrets } from "./evaluate";

test("Pulumi.yaml runs src/index.ts with the Node.js runtime through the SDK preload and the program loader, refresh always", () => {
  const project = YAML.parse(readFileSync("Pulumi.yaml", "utf8"));
  assert.deepEqual(project.runtime, {
    name: "nodejs",
    options: { typescript: false, nodeargs: "--require lyra-fleet/sdk-preload --require lyra-fleet/program-loader" },
  });
  assert.equal(project.main, "src/index.ts");
  assert.equal(project.stackConfigDir, "stacks");
  assert.equal(project.options.refresh, "always");
  assert.deepEqual(pulumiYamlNodeArgs(), [
    "--require",
    "lyra-fleet/sdk-preload",
    "--require",
    "lyra-fleet/program-loader",
  ]);
  const tsconfig = JSON.parse(readFileSync("tsconfig.json", "utf8"));
  assert.equal(tsconfig.compilerOptions.module, "commonjs");
  const pkg = JSON.parse(readFileSync("package.json", "utf8"));
  // The loader bundles the program with esbuild, so a fresh clone's `npm ci` must install it.
  assert.ok(pkg.devDependencies.esbuild, "esbuild is a devDependency");
  assert.equal(pkg.exports["./program-loader"], "./src/fleet/program-loader.cjs");
  assert.notEqual(pkg.type, "module");
  // The CLI no longer type-checks: `npm test` does, before anything else.
  assert.match(pkg.scripts.test, /^tsc --noEmit && /);
});

test("src/index.ts loads with Pulumi.yaml's node arguments alone and declares the same resources as under the tests' loader", () => {
  const fleet = stackFleet("home");
  const secrets = testSecrets(fleet);
  const viaCliArgs = evaluate({ stack: "home", fleet, secrets }, "pulumi.yaml");
  assert.equal(viaCliArgs.error, undefined, viaCliArgs.error?.message);
  assert.equal(viaCliArgs.sdkPromiseStacks, false, "the program turned off the SDK's per-promise stack traces");
  assert.equal(viaCliArgs.sdkSourcePositions, false, "the program turned off the SDK's per-resource source positions");
  assert.equal(viaCliArgs.sdkProtobufStrings, false, "the program switched the SDK's protobuf strings to Node's UTF-8");
  const viaTsx = evaluate({ stack: "home", fleet, secrets }, "tsx");
  const states = viaCliArgs.registrations
    .filter((r) => r.type === "pulumi-nodejs:dynamic/lyra-host:HostState")
    .map((r) => r.name)
    .sort();
  assert.deepEqual(states, ["lyra:state", "mirror-1:state", "mirror-2:state", "vega:state"]);
  assert.deepEqual(
    viaCliArgs.registrations.map((r) => [r.type, r.name, r.inputs.__provider === undefined]),
    viaTsx.registrations.map((r) => [r.type, r.name, r.inputs.__provider === undefined]),
  );
});

test("before it declares anything, the program asks the engine for the dynamic provider, under either loader", () => {
  const fleet = stackFleet("home");
  const secrets = testSecrets(fleet);
  for (const loader of ["pulumi.yaml", "tsx"] as const) {
    const run = evaluate({ stack: "home", fleet, secrets }, loader);
    // The mocks answer it with an error, as the engine does: the program drops it and goes on.
    assert.equal(run.error, undefined, run.error?.message);
    assert.deepEqual(run.invokes, [{ token: DYNAMIC_PROVIDER_WARMUP_TOKEN, registrationsBefore: 0 }], loader);
    assert.ok(run.registrations.length > 0, loader);
  }
});
