/**
 * The Pulumi CLI's Node.js runtime compiles src/index.ts through ts-node (from this project's
 * devDependencies) and loads it as CommonJS. Do exactly that under mocks, so nothing that only
 * tsx tolerates slips in.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { evaluate, stackFleet, testSecrets } from "./evaluate";

test("Pulumi.yaml runs src/index.ts with the Node.js runtime, TypeScript, refresh always", () => {
  const project = readFileSync("Pulumi.yaml", "utf8");
  assert.match(project, /^runtime:\n  name: nodejs\n  options:\n    typescript: true$/m);
  assert.match(project, /^main: src\/index\.ts$/m);
  assert.match(project, /^stackConfigDir: stacks$/m);
  assert.match(project, /^options:\n(  #.*\n)*  refresh: always$/m);
  const tsconfig = JSON.parse(readFileSync("tsconfig.json", "utf8"));
  assert.equal(tsconfig.compilerOptions.module, "commonjs");
  const pkg = JSON.parse(readFileSync("package.json", "utf8"));
  assert.ok(
    pkg.devDependencies["ts-node"] && pkg.devDependencies.typescript,
    "ts-node and typescript are devDependencies",
  );
  assert.notEqual(pkg.type, "module");
});

test("src/index.ts loads through ts-node/register and declares the same resources as under tsx", () => {
  const fleet = stackFleet("home");
  const secrets = testSecrets(fleet);
  const viaTsNode = evaluate({ stack: "home", fleet, secrets }, "ts-node");
  assert.equal(viaTsNode.error, undefined, viaTsNode.error?.message);
  assert.equal(viaTsNode.sdkPromiseStacks, false, "the program turned off the SDK's per-promise stack traces");
  const viaTsx = evaluate({ stack: "home", fleet, secrets }, "tsx");
  const states = viaTsNode.registrations
    .filter((r) => r.type === "pulumi-nodejs:dynamic/lyra-host:HostState")
    .map((r) => r.name)
    .sort();
  assert.deepEqual(states, ["lyra:state", "mirror-1:state", "mirror-2:state", "vega:state"]);
  assert.deepEqual(
    viaTsNode.registrations.map((r) => [r.type, r.name, r.inputs.__provider === undefined]),
    viaTsx.registrations.map((r) => [r.type, r.name, r.inputs.__provider === undefined]),
  );
});
