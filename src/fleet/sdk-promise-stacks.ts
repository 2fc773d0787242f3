/**
 * The Pulumi SDK wraps every internal promise (about 30 per resource) in `debuggablePromise`, which
 * captures and formats a stack trace for it, source-mapped by the TypeScript loader. The trace is
 * only ever printed when PULUMI_DEBUG_PROMISE_LEAKS is set; without that variable it is never read.
 * At 1000 mirrors those traces are half of the program's evaluation time (measured in
 * bench/program-scale.ts of the time, under mocks and ts-node without type checking: 11-13 s without
 * this, 5-6 s with it).
 *
 * This skips the capture, and only that: `Error.stackTraceLimit` is 0 for the duration of the SDK's
 * own call and restored right after, so every error the program or the SDK throws keeps its full
 * trace. With PULUMI_DEBUG_PROMISE_LEAKS set (the SDK's own switch), nothing is changed.
 */

type DebuggablePromise = <T>(promise: Promise<T>, context: unknown) => Promise<T>;

/** The SDK module that holds it: internal (its type declarations are empty), hence the shape here. */
interface DebuggableModule {
  debuggablePromise?: DebuggablePromise & { [skipsStacks]?: true };
  debugPromiseLeaks?: boolean;
}

const skipsStacks = Symbol("lyra-fleet skips promise stack capture");

export type PromiseStackCapture = "skipped" | "kept for PULUMI_DEBUG_PROMISE_LEAKS" | "kept: the SDK changed";

/**
 * Makes the SDK's promise bookkeeping skip its stack traces (idempotent). Returns what it did, so a
 * test notices when an SDK upgrade moves the function; the program itself carries on either way.
 */
export function skipSdkPromiseStacks(): PromiseStackCapture {
  // The SDK calls it through this module's exports object, so replacing the export reaches every caller.
  const debuggable: DebuggableModule = require("@pulumi/pulumi/runtime/debuggable");
  if (debuggable.debugPromiseLeaks) return "kept for PULUMI_DEBUG_PROMISE_LEAKS";
  const original = debuggable.debuggablePromise;
  if (typeof original !== "function") return "kept: the SDK changed";
  if (original[skipsStacks]) return "skipped";
  const withoutStack: DebuggablePromise = (promise, context) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return original(promise, context);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  debuggable.debuggablePromise = Object.assign(withoutStack, { [skipsStacks]: true as const });
  return "skipped";
}
