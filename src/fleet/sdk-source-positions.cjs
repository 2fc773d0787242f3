/**
 * For every resource, the Pulumi SDK formats a whole stack trace (`new Error().stack`, no depth
 * limit, every frame source-mapped) to tell the engine which line of the program declared it. In
 * this program that line is always lyra-fleet's own (src/fleet/host.ts declaring a HostState, and
 * so on), never one a user wrote: a fleet is written in stacks/*.yaml. It was about 0.1 s of a
 * 10-mirror run and 1 s of a 1000-mirror one, most of it mapping the program's source map
 * (bench/program-scale.ts).
 *
 * So the SDK is told there is no position, unless LYRA_FLEET_SOURCE_POSITIONS=1 asks for them.
 * Errors keep their traces: only the SDK's per-resource capture is skipped.
 *
 * Plain CommonJS, so that the SDK preload (./sdk-preload.cjs) can make this change as the SDK
 * loads, before the runner declares the stack resource; the program makes it again (./sdk-changes.ts),
 * which changes nothing where the preload did.
 */
"use strict";

/** One mark for both copies of this module (the preload's, and the program bundle's). */
const skipsPositions = Symbol.for("lyra-fleet skips SDK source positions");

/**
 * Stops the SDK's per-resource source positions (idempotent); says what it did, so a test notices
 * an SDK change. `resourceModule`: the SDK's resource.js, whose Resource class calls the static
 * `stackTrace` through the class, so replacing it reaches every resource.
 */
module.exports.skipSdkSourcePositions = function skipSdkSourcePositions(
  env = process.env,
  resourceModule = require("@pulumi/pulumi/resource"),
) {
  if (env.LYRA_FLEET_SOURCE_POSITIONS === "1") return "kept for LYRA_FLEET_SOURCE_POSITIONS";
  const { Resource } = resourceModule;
  if (typeof Resource?.stackTrace !== "function") return "kept: the SDK changed";
  if (Resource.stackTrace[skipsPositions]) return "skipped";
  Resource.stackTrace = Object.assign(() => [], { [skipsPositions]: true });
  return "skipped";
};
