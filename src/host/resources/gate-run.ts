/**
 * One run of a health gate's script on its host, over the pinned SSH transport: what a HealthGate
 * runs, and what a HostState with a gate runs after each apply.
 */
import type { HostConnection } from "../transport/connection";
import { describeHost } from "../transport/connection";
import { hostError } from "../transport/errors";
import { runRemote } from "../transport/ssh";

export interface GateRun {
  /** What the gate checks, for messages ("health", "mqtt-round-trip"). */
  label: string;
  /** A shell script that exits 0 when the check passes; it polls up to its own deadline. */
  script: string;
  /** Sent on the script's stdin (a secret: a password the check needs); scrubbed from messages. */
  stdin?: string;
  /** Deadline of the script, in ms. */
  timeoutMs: number;
}

/**
 * What the script printed, once it passed. A failing script throws a HostError naming the host
 * and the last lines the script wrote on stderr (what is still failing, and why).
 */
export async function runGate(connection: HostConnection, gate: GateRun): Promise<string> {
  const { label, script, stdin, timeoutMs } = gate;
  const result = await runRemote(connection, script, { purpose: `health gate ${label}`, stdin, timeoutMs });
  if (result.exitCode !== 0) {
    const said = result.stderr.trim().split("\n").slice(-8).join("\n");
    throw hostError(
      connection.host,
      "command",
      `${describeHost(connection)}: health gate failed: ${said || `${label}: exit code ${result.exitCode}`}`,
      [stdin],
    );
  }
  return result.stdout.trim();
}
