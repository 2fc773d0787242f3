/**
 * The Pulumi SDK sends the engine a debug-level message at every step of every registration: one
 * RPC each, sent strictly one after another, and one of them carries the registration's whole
 * response (every item of a host, file contents included). The engine shows debug messages only
 * under `pulumi up --debug`, and it cannot tell the program whether it was asked to. At 1000 mirrors
 * they were about a third of the program's CPU time through the CLI's path (bench/program-scale.ts).
 *
 * So debug messages are not sent, unless LYRA_FLEET_SDK_DEBUG=1 asks for them (for use with
 * `--debug`). Info, warning and error messages are untouched; the program logs none at debug level.
 */

type Debug = ((...args: unknown[]) => Promise<void>) & { [skipsDebug]?: true };

/** The SDK's log module: every caller, the SDK's own included, calls `debug` through its exports. */
interface LogModule {
  debug?: Debug;
}

const skipsDebug = Symbol("lyra-fleet skips SDK debug messages");

export type SdkDebugLogs = "skipped" | "kept for LYRA_FLEET_SDK_DEBUG" | "kept: the SDK changed";

/** Stops the SDK's debug messages (idempotent); says what it did, so a test notices an SDK change. */
export function skipSdkDebugLogs(env: NodeJS.ProcessEnv = process.env): SdkDebugLogs {
  if (env.LYRA_FLEET_SDK_DEBUG === "1") return "kept for LYRA_FLEET_SDK_DEBUG";
  const log = require("@pulumi/pulumi/log") as LogModule;
  if (typeof log.debug !== "function") return "kept: the SDK changed";
  if (log.debug[skipsDebug]) return "skipped";
  log.debug = Object.assign(() => Promise.resolve(), { [skipsDebug]: true as const });
  return "skipped";
}
