/**
 * The Pulumi SDK sends the engine a debug-level message at every step of every registration: one
 * RPC each, sent strictly one after another, and one of them carries the registration's whole
 * response (every item of a host, file contents included). The engine shows debug messages only
 * under `pulumi up --debug`, and it cannot tell the program whether it was asked to. At 1000 mirrors
 * they were about a third of the program's CPU time through the CLI's path (bench/program-scale.ts).
 *
 * So debug messages are not sent, unless LYRA_FLEET_SDK_DEBUG=1 asks for them (for use with
 * `--debug`). Info, warning and error messages are untouched; the program logs none at debug level.
 *
 * Nor is that response printed for them: the SDK builds the message before it calls `debug`, and
 * printing a protobuf message prints all of it. At 1000 mirrors that text was 300 MB of the 2.4 GB
 * the program allocated, and its printing 0.2 s of CPU. So, with the messages, a response's text is
 * its type's name (`String(response)`; nothing else prints one).
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
  printResponsesByName();
  return "skipped";
}

/** The SDK's generated protobuf module, as its registration code requires it. */
interface ResourceProto {
  RegisterResourceResponse?: { prototype?: { toString?: () => string } };
}

/** A registration's response prints as its type's name, not its content (see above). */
function printResponsesByName(): void {
  const proto = require("@pulumi/pulumi/proto/resource_pb") as ResourceProto;
  const prototype = proto.RegisterResourceResponse?.prototype;
  if (prototype === undefined) return; // the SDK changed: its messages print in full, as they did
  Object.defineProperty(prototype, "toString", {
    value: () => "[RegisterResourceResponse]",
    writable: true,
    configurable: true,
  });
}
