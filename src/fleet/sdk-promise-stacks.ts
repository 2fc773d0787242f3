/**
 * The Pulumi SDK wraps every internal promise (about 30 per resource) in `debuggablePromise`, which
 * captures and formats a stack trace for it, source-mapped by the TypeScript loader, and pins an id,
 * its context and that trace on the promise. They are only ever printed when
 * PULUMI_DEBUG_PROMISE_LEAKS is set; without that variable nothing reads them. At 1000 mirrors the
 * traces were half of the program's evaluation time (measured in bench/program-scale.ts of the
 * time, under mocks and ts-node without type checking: 11-13 s without this, 5-6 s with it), and
 * the three properties, which give every promise a shape of its own, another tenth (under the CLI's
 * language host: 13.6 s with them, 12.2 s without, means of three runs).
 *
 * This skips those, and only those. The SDK's own call makes the first promise, with
 * `Error.stackTraceLimit` 0 for its duration (it schedules the leak report at exit). Every later
 * promise is a leak candidate in the SDK's store until it settles, as the SDK makes it, so a
 * promise the program never settles still fails the run with the SDK's report. Every error the
 * program or the SDK throws keeps its full trace. With PULUMI_DEBUG_PROMISE_LEAKS set (the SDK's
 * own switch), nothing is changed.
 */

type DebuggablePromise = <T>(promise: Promise<T>, context: unknown) => Promise<T>;

/** The SDK module that holds it: internal (its type declarations are empty), hence the shape here. */
interface DebuggableModule {
  debuggablePromise?: DebuggablePromise & { [skipsStacks]?: true };
  debugPromiseLeaks?: boolean;
}

/** The SDK's runtime state: its store holds the promises not yet settled, reported at exit. */
interface StateModule {
  getStore?: () => { leakCandidates?: unknown } | undefined;
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
  const state: StateModule = require("@pulumi/pulumi/runtime/state");
  // The SDK's own call, stack capture off: for the first promise (it schedules the leak report at
  // exit) and whenever its store is not what the leak bookkeeping below expects.
  const sdkCall = (promise: Promise<unknown>, context: unknown) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return original(promise, context);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  let reportScheduled = false;
  const withoutStack = (<T>(promise: Promise<T>, context: unknown): Promise<T> => {
    const candidates = state.getStore?.()?.leakCandidates;
    if (!reportScheduled || !(candidates instanceof Set)) {
      reportScheduled = true;
      return sdkCall(promise, context) as Promise<T>;
    }
    // The SDK's bookkeeping: a leak candidate until it settles; a rejection's error names the promise
    // (only an object can hold it: the SDK's own assignment throws for a rejected string).
    candidates.add(promise);
    return promise.then(
      (value) => {
        candidates.delete(promise);
        return value;
      },
      (error: unknown) => {
        candidates.delete(promise);
        if (typeof error === "object" && error !== null) (error as { promise?: unknown }).promise = promise;
        throw error;
      },
    );
  }) as DebuggablePromise;
  debuggable.debuggablePromise = Object.assign(withoutStack, { [skipsStacks]: true as const });
  return "skipped";
}
