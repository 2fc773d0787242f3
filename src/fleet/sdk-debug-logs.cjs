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
 *
 * Plain CommonJS, so that the SDK preload (./sdk-preload.cjs) can make this change as the SDK
 * loads, before the runner registers the stack resource; the program makes it again
 * (./sdk-changes.ts), which changes nothing where the preload did.
 */
"use strict";

/** One mark for both copies of this module (the preload's, and the program bundle's). */
const skipsDebug = Symbol.for("lyra-fleet skips SDK debug messages");

/**
 * Stops the SDK's debug messages (idempotent); says what it did, so a test notices an SDK change.
 * `sdkModule(path)`: the SDK's module at that path inside it ("log", "proto/resource_pb"); every
 * caller, the SDK's own included, calls `debug` through the log module's exports.
 */
module.exports.skipSdkDebugLogs = function skipSdkDebugLogs(
  env = process.env,
  sdkModule = (path) => require(`@pulumi/pulumi/${path}`),
) {
  if (env.LYRA_FLEET_SDK_DEBUG === "1") return "kept for LYRA_FLEET_SDK_DEBUG";
  const log = sdkModule("log");
  if (typeof log.debug !== "function") return "kept: the SDK changed";
  if (log.debug[skipsDebug]) return "skipped";
  log.debug = Object.assign(() => Promise.resolve(), { [skipsDebug]: true });
  printResponsesByName(sdkModule("proto/resource_pb"));
  return "skipped";
};

/** A registration's response prints as its type's name, not its content (see above). */
function printResponsesByName(resourceProto) {
  const prototype = resourceProto.RegisterResourceResponse?.prototype;
  if (prototype === undefined) return; // the SDK changed: its messages print in full, as they did
  Object.defineProperty(prototype, "toString", {
    value: () => "[RegisterResourceResponse]",
    writable: true,
    configurable: true,
  });
}
