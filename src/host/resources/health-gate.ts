/**
 * A health gate: a check script run on a host over SSH after the host converged, and again after
 * every change that could affect what it checks (its triggers). `pulumi up` reports done only when
 * every gate passed. A dynamic resource rather than @pulumi/command's remote command: it needs no
 * provider plugin beyond Node.js (an offline rebuild from the NAS has no plugin downloads), and it
 * shares the host resources' SSH transport (pinned host key, secrets on stdin and scrubbed from
 * every message, fast failure on an unreachable host).
 */
import * as pulumi from "@pulumi/pulumi";
import { healthGateProvider } from "./health-gate-provider";
import { EntryResource, providerEntryText } from "./provider-entry";
import { connectionInput, GATE_TIMEOUT_MS, HOST_RESOURCE_MODULE, type HostConnectionInputs } from "./resource-support";

/** Arguments of a {@link HealthGate}. */
export interface HealthGateArgs {
  /** How to reach the host. */
  connection: pulumi.Input<HostConnectionInputs>;
  /** What the gate checks, for messages ("health", "mqtt-round-trip"). */
  label: string;
  /** A shell script that exits 0 when the check passes; it polls up to its own deadline. */
  script: string;
  /** Sent on the script's stdin: pass a secret (it is kept in state only as a secret sha256). */
  stdin?: pulumi.Input<string>;
  /** Run again whenever one of these changes. */
  triggers: pulumi.Input<string>[];
  /** Deadline of one run, in ms. Default GATE_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** What each resource carries as its provider: a loader of healthGateProvider (see ./provider-entry.ts). */
export const healthGateEntry = providerEntryText(
  "src/host/resources/health-gate-provider",
  "healthGateProvider",
  healthGateProvider,
);

/** Its type token is `pulumi-nodejs:dynamic/lyra-host:HealthGate`, its id "<host>:<label>". */
export class HealthGate extends EntryResource {
  /** What the script printed the last time it passed. */
  declare readonly stdout: pulumi.Output<string>;

  constructor(name: string, args: HealthGateArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      healthGateEntry,
      name,
      {
        connection: connectionInput(args.connection),
        label: args.label,
        script: args.script,
        // A key only when given: the SDK spends an output on every key, even one it never sends
        // (a fleet's host gates have no stdin). The engine sees the same inputs either way, and
        // the provider's outputs (stdinSha256 among them) are the state's, whatever is declared here.
        ...(args.stdin !== undefined && { stdin: pulumi.secret(args.stdin) }),
        triggers: args.triggers,
        timeoutMs: args.timeoutMs ?? GATE_TIMEOUT_MS,
        stdout: undefined,
      },
      { ...opts, additionalSecretOutputs: ["stdinSha256", ...(opts.additionalSecretOutputs ?? [])] },
      HOST_RESOURCE_MODULE,
      "HealthGate",
      ["stdout"],
    );
  }
}
