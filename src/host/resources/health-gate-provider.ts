/**
 * The dynamic provider behind {@link HealthGate}: runs a check script on the host over the pinned
 * SSH transport when the gate is created, and again whenever its script, its stdin or one of its
 * triggers changes. A failing script fails the gate with what the script printed, so `pulumi up`
 * fails naming the host and the check; the engine then keeps the old state, and the next `pulumi
 * up` runs the gate again.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { HostConnection } from "../transport/connection";
import { sha256Hex } from "../transport/remote-path";
import { runGate } from "./gate-run";
import { connectionCheckFailures, containsUnknown, storedConnection } from "./provider-support";

export interface HealthGateInputs {
  connection: HostConnection;
  /** What the gate checks, for messages ("mirror-1: health"). */
  label: string;
  /** A shell script that exits 0 when the host is healthy (it polls up to its own deadline). */
  script: string;
  /** Sent on the script's stdin (a secret: a password the check needs). */
  stdin?: string;
  /** The gate runs again whenever one of these changes. */
  triggers: string[];
  /** Deadline of the script, in ms. */
  timeoutMs: number;
}

/** What state holds: the inputs, the stdin only as its sha256, and the script's last output. */
export interface HealthGateOutputs extends Omit<HealthGateInputs, "stdin"> {
  stdinSha256: string;
  stdout: string;
}

const stdinDigest = (stdin: string | undefined) => sha256Hex(stdin ?? "");

async function passGate(inputs: HealthGateInputs): Promise<HealthGateOutputs> {
  const { connection, label, script, stdin, triggers, timeoutMs } = inputs;
  const stdout = await runGate(connection, { label, script, stdin, timeoutMs });
  return { connection, label, script, triggers, timeoutMs, stdinSha256: stdinDigest(stdin), stdout };
}

export const healthGateProvider = {
  async check(_olds: HealthGateInputs, news: HealthGateInputs): Promise<dynamic.CheckResult<HealthGateInputs>> {
    const failures = [...connectionCheckFailures(news.connection)];
    if (typeof news.script !== "string" || news.script.trim() === "")
      failures.push({ property: "script", reason: "must be a non-empty shell script" });
    return { inputs: news, failures };
  },

  /** The gate runs again (an update) when what it checks or what it waits for changed. */
  async diff(_id: string, olds: HealthGateOutputs, news: HealthGateInputs): Promise<dynamic.DiffResult> {
    if (containsUnknown(news)) return { changes: true };
    const changed =
      olds.script !== news.script ||
      olds.label !== news.label ||
      olds.timeoutMs !== news.timeoutMs ||
      olds.stdinSha256 !== stdinDigest(news.stdin) ||
      JSON.stringify(olds.triggers) !== JSON.stringify(news.triggers) ||
      JSON.stringify(olds.connection) !== JSON.stringify(news.connection);
    return { changes: changed };
  },

  async create(inputs: HealthGateInputs): Promise<dynamic.CreateResult<HealthGateOutputs>> {
    return { id: `${inputs.connection.host}:${inputs.label}`, outs: await passGate(inputs) };
  },

  async update(
    _id: string,
    _olds: HealthGateOutputs,
    news: HealthGateInputs,
  ): Promise<dynamic.UpdateResult<HealthGateOutputs>> {
    return { outs: await passGate(news) };
  },

  /** Nothing on the host belongs to a gate. */
  async delete(id: string, props: HealthGateOutputs): Promise<void> {
    storedConnection("HealthGate", id, props);
  },
};
