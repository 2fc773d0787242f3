/**
 * The SDK makes an output for every input property of a custom resource: `transferProperties`
 * puts an unresolved output on the resource object for each key, and the engine's answer resolves
 * them all. The host resources mark the few properties the program reads
 * (src/host/resources/output-properties.ts: HostState's `converged`, HealthGate's `stdout`); this
 * makes outputs for those only. Every property is still sent to the engine, which keeps them all
 * in state and in the diff; an answered property without an output is skipped by the SDK, as it
 * skips the outputs a component registers itself. At 1000 mirrors this was 0.3-0.4 s and 50 MB of
 * the program's evaluation (bench/program-scale.ts, runs taken in turn): each output's promises,
 * and each answer's text (a host's items) kept to the end of the run.
 *
 * A resource whose properties carry no mark keeps every output, as does every resource when the
 * SDK no longer has the function: the program then only costs what it did.
 */
import { outputPropertiesOf } from "../host/resources/output-properties";

type TransferProperties = (onto: object, label: string, props: Record<string, unknown>) => Record<string, unknown>;

/** The SDK module that holds it: internal (its type declarations are empty), hence the shape here. */
export interface RpcModule {
  transferProperties?: TransferProperties & { [changed]?: true };
}

const changed = Symbol.for("lyra-fleet outputs only for read properties");

export type OutputProperties = "read properties only" | "kept: the SDK changed";

/**
 * Makes the SDK create outputs only for the properties a resource marks (idempotent). Returns what
 * it did, so a test notices when an SDK upgrade moves the function. The SDK calls it through the
 * rpc module's exports object, so replacing the export reaches every caller.
 */
export function outputsOnlyForReadProperties(
  rpc = require("@pulumi/pulumi/runtime/rpc") as RpcModule,
): OutputProperties {
  const original = rpc.transferProperties;
  if (typeof original !== "function") return "kept: the SDK changed";
  if (original[changed]) return "read properties only";
  const transfer: TransferProperties = (onto, label, props) => {
    const keys = outputPropertiesOf(props);
    if (keys === undefined) return original(onto, label, props);
    const read: Record<string, unknown> = {};
    for (const key of keys) if (key in props) read[key] = props[key];
    return original(onto, label, read);
  };
  rpc.transferProperties = Object.assign(transfer, { [changed]: true as const });
  return "read properties only";
}
