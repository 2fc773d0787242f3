/**
 * The SDK preload switches google-protobuf's strings to Node's UTF-8 as the SDK loads it
 * (src/fleet/sdk-preload.cjs), which is the only time it can in the dynamic provider's process:
 * there nothing else of ours runs before the engine's requests are read. Checked on a provider
 * request message, with the preload as the provider launcher (scripts/pulumi-cli/
 * pulumi-resource-pulumi-nodejs) and Pulumi.yaml give it, and without: a lone surrogate is written
 * as U+FFFD by Node's UTF-8, and dropped by google-protobuf's own code.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { cliProgramDirectory, pulumiYamlNodeArgs } from "../program/evaluate";

const preload = join(__dirname, "..", "..", "src", "fleet", "sdk-preload.cjs");

/** A CheckRequest's URN written and read back by the SDK's own message class, in a fresh node with `args`. */
function roundTrip(args: string[]): { text: string; marked: boolean } {
  const script = `
    const path = require("path");
    const provider = require("@pulumi/pulumi/proto/provider_pb");
    const request = new provider.CheckRequest();
    request.setUrn("a\\ud800b");
    const text = provider.CheckRequest.deserializeBinary(request.serializeBinary()).getUrn();
    const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    const protobuf = require(require.resolve("google-protobuf", { paths: [sdk] }));
    const marked = protobuf.BinaryWriter.prototype[Symbol.for("lyra-fleet native protobuf strings")] === true;
    console.log(JSON.stringify({ text, marked }));
  `;
  const run = spawnSync(process.execPath, [...args, "-e", script], {
    cwd: cliProgramDirectory(),
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

test("as the provider launcher starts node, the SDK's messages carry strings as Node's UTF-8", () => {
  assert.deepEqual(roundTrip(["--require", preload]), { text: "a\ufffdb", marked: true });
});

test("under Pulumi.yaml's node arguments too, before the program runs", () => {
  assert.deepEqual(roundTrip(pulumiYamlNodeArgs()), { text: "a\ufffdb", marked: true });
});

test("without the preload google-protobuf's own code drops the lone surrogate (the change has something to do)", () => {
  assert.deepEqual(roundTrip([]), { text: "ab", marked: false });
});
