/**
 * The SDK's debug messages never reach the engine, while a registration and the program's other
 * messages still do; LYRA_FLEET_SDK_DEBUG=1 keeps them. The program runs in a child process wired
 * to a stand-in engine (bench/support/fake-engine.ts) as the CLI wires it: the SDK's own
 * environment variables name the monitor and the engine.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runAgainstFakeEngine } from "../support/fake-engine-program";

const root = join(__dirname, "..", "..");
const program = [
  `const { skipSdkDebugLogs } = require(${JSON.stringify(join(root, "src/fleet/sdk-debug-logs.cjs"))});`,
  `const status = skipSdkDebugLogs();`,
  `const again = skipSdkDebugLogs();`,
  `const pulumi = require("@pulumi/pulumi");`,
  `class Thing extends pulumi.CustomResource { constructor(n, p) { super("test:index:Thing", n, p); } }`,
  `const thing = new Thing("thing", { port: 1883 });`,
  `pulumi.log.info("an info message");`,
  // What the SDK's debug message would print of a registration's response.
  `const { RegisterResourceResponse } = require("@pulumi/pulumi/proto/resource_pb");`,
  `const printed = String(new RegisterResourceResponse().setUrn("urn:pulumi:test::p::t::" + "x".repeat(100)));`,
  `thing.urn.apply(async () => { await pulumi.runtime.disconnect(); console.log(JSON.stringify({ status, again, printed })); });`,
].join("\n");

async function run(extraEnv: NodeJS.ProcessEnv) {
  const saw = await runAgainstFakeEngine("sdk-debug-logs", ["-e", program], extraEnv);
  const [debug, info] = saw.messages;
  return { ...saw.output, debug, info, registrations: saw.registrations };
}

test(
  "the SDK's debug messages are not sent; the registration and an info message are",
  { timeout: 60_000 },
  async () => {
    const result = await run({ LYRA_FLEET_SDK_DEBUG: "" });
    assert.deepEqual(result, {
      status: "skipped",
      again: "skipped",
      printed: "[RegisterResourceResponse]",
      debug: 0,
      info: 1,
      registrations: 1,
    });
  },
);

test("LYRA_FLEET_SDK_DEBUG=1 keeps them", { timeout: 60_000 }, async () => {
  const result = await run({ LYRA_FLEET_SDK_DEBUG: "1" });
  assert.equal(result.status, "kept for LYRA_FLEET_SDK_DEBUG");
  assert.match(result.printed, /urn:pulumi:test::p::t::x{100}/, "the response printed whole, as the SDK prints it");
  assert.ok(result.debug > 0, `the SDK sent ${result.debug} debug messages`);
  assert.equal(result.info, 1);
  assert.equal(result.registrations, 1);
});
