/**
 * The SDK's per-promise stack capture is skipped for the promises it makes while registering
 * resources, and nothing else loses its trace; PULUMI_DEBUG_PROMISE_LEAKS keeps the capture.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { skipSdkPromiseStacks } from "../../src/fleet/sdk-promise-stacks";

interface TracedPromise extends Promise<unknown> {
  _debugStackTrace?: string;
}
const debuggable: {
  debuggablePromise: (p: Promise<unknown>, ctx: unknown) => Promise<unknown>;
} = require("@pulumi/pulumi/runtime/debuggable");
const state: { getStore: () => { leakCandidates: Set<Promise<unknown>> } } = require("@pulumi/pulumi/runtime/state");
class Thing extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("test:index:Thing", name, props);
  }
}
/** Runs `lines` in a node of its own, skipSdkPromiseStacks in scope, PULUMI_DEBUG_PROMISE_LEAKS as given. */
function runWithStacksSkipped(lines: string[], debugPromiseLeaks: string) {
  const module = JSON.stringify(join(__dirname, "../../src/fleet/sdk-promise-stacks"));
  const script = [`const { skipSdkPromiseStacks } = require(${module});`, ...lines].join("\n");
  return spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
    cwd: join(__dirname, "..", ".."),
    env: { ...process.env, PULUMI_DEBUG_PROMISE_LEAKS: debugPromiseLeaks },
    encoding: "utf8",
    timeout: 60_000,
  });
}
const hasFrames = (stack: string | undefined) => /\n    at /.test(stack ?? "");

test("a registration's SDK promises carry no stack trace, while errors keep theirs", async () => {
  const limit = Error.stackTraceLimit;
  assert.equal(skipSdkPromiseStacks(), "skipped");
  assert.equal(skipSdkPromiseStacks(), "skipped", "a second call does not wrap twice");

  // Record what the SDK hands to the (now wrapped) export while it registers a resource.
  const wrapped = debuggable.debuggablePromise;
  const seen: TracedPromise[] = [];
  debuggable.debuggablePromise = (p, ctx) => {
    const result = wrapped(p, ctx);
    seen.push(p);
    return result;
  };
  try {
    await pulumi.runtime.setMocks({
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: () => ({}),
    });
    const thing = new Thing("thing", { port: 1883, name: "mqtt-broker" });
    const traceInApply = await new Promise<string | undefined>((resolve) =>
      thing.id.apply(() => resolve(new Error("in apply").stack)),
    );

    assert.ok(seen.length >= 10, `the SDK went through the wrapped export (${seen.length} promises)`);
    assert.deepEqual(
      seen.filter((p) => hasFrames(p._debugStackTrace)),
      [],
      "no SDK promise carries frames",
    );
    assert.ok(
      seen.filter((p) => typeof p._debugStackTrace === "string").length <= 1,
      "only a first promise goes through the SDK's own call (which schedules its leak report)",
    );
    assert.ok(hasFrames(traceInApply), "an error raised in the program keeps its trace");
    assert.equal(Error.stackTraceLimit, limit, "the limit is restored");
  } finally {
    debuggable.debuggablePromise = wrapped;
  }
});

test("a promise stays a leak candidate until it settles; a rejection keeps its error, which names the promise", async () => {
  assert.equal(skipSdkPromiseStacks(), "skipped");
  const candidates = () => state.getStore().leakCandidates;
  // The first goes through the SDK's own call (see the module); the rest through the bookkeeping here.
  await debuggable.debuggablePromise(Promise.resolve("first"), "first");
  let resolve!: (value: string) => void;
  const pending = new Promise<string>((r) => (resolve = r));
  const wrapped = debuggable.debuggablePromise(pending, "pending");
  assert.equal(candidates().has(pending), true, "an unsettled promise is a candidate");
  resolve("done");
  assert.equal(await wrapped, "done");
  assert.equal(candidates().has(pending), false, "a settled one is not");

  const error = new Error("refused");
  const failing = Promise.reject(error);
  const wrappedFailure = debuggable.debuggablePromise(failing, "failing");
  await assert.rejects(wrappedFailure, (thrown) => thrown === error);
  assert.equal((error as Error & { promise?: unknown }).promise, failing);
  assert.equal(candidates().has(failing), false);
  await assert.rejects(
    // A rejection that is not an Error, which some libraries make: it must come through unchanged.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    debuggable.debuggablePromise(Promise.reject("plain text"), "text"),
    (thrown) => thrown === "plain text",
  );
});

test("a promise the program never settles is still reported at exit, and fails the run", () => {
  const lines = [
    `skipSdkPromiseStacks();`,
    `const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable");`,
    `debuggablePromise(Promise.resolve(1), "first");`,
    `debuggablePromise(Promise.resolve(2), "settled");`,
    `debuggablePromise(new Promise(() => {}), "never settled");`,
  ];
  const run = runWithStacksSkipped(lines, "");
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /The Pulumi runtime detected that 1 promise was still active/);
});

test("with PULUMI_DEBUG_PROMISE_LEAKS set, the SDK keeps its stack traces", () => {
  const lines = [
    `const status = skipSdkPromiseStacks();`,
    `const p = Promise.resolve(1);`,
    `require("@pulumi/pulumi/runtime/debuggable").debuggablePromise(p, "probe");`,
    `console.log(JSON.stringify({ status, stack: p._debugStackTrace }));`,
  ];
  const run = runWithStacksSkipped(lines, "true");
  assert.equal(run.status, 0, run.stderr);
  const { status, stack } = JSON.parse(run.stdout.trim().split("\n").pop()!);
  assert.equal(status, "kept for PULUMI_DEBUG_PROMISE_LEAKS");
  assert.ok(hasFrames(stack), `the leak report keeps its trace:\n${stack}`);
});
