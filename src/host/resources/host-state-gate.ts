/**
 * A HostState's own health gate (HostGate): checked with the state's inputs, compared in its diff,
 * and run after each apply of the host. The host is applied again, and its gate run, when the
 * host differs, when the gate's script, deadline or triggers changed, or when it failed last time.
 */
import { runGate } from "./gate-run";
import { canonicalJson, failureRecording } from "./host-state-shape";
import type { HostGate, HostStateInputs, HostStateOutputs } from "./host-state-types";

/** Why `gate` (absent: no gate) is not a gate. */
export function gateProblems(gate: unknown): { property: string; reason: string }[] {
  if (gate === undefined) return [];
  if (typeof gate !== "object" || gate === null || Array.isArray(gate))
    return [{ property: "gate", reason: "must be an object with script, triggers and timeoutMs" }];
  const { script, triggers, timeoutMs } = gate as Partial<Record<keyof HostGate, unknown>>;
  const problems: { property: string; reason: string }[] = [];
  if (typeof script !== "string" || script.trim() === "")
    problems.push({ property: "gate.script", reason: "must be a non-empty shell script" });
  if (!Array.isArray(triggers) || !triggers.every((t) => typeof t === "string"))
    problems.push({ property: "gate.triggers", reason: "must be a list of strings" });
  if (typeof timeoutMs !== "number" || !Number.isInteger(timeoutMs) || timeoutMs <= 0)
    problems.push({ property: "gate.timeoutMs", reason: "must be a positive whole number of milliseconds" });
  return problems;
}

/** What differs between the gate as it last passed and as declared, as one diff line; none: nothing. */
export function gateDiffering(passed: HostGate | undefined, declared: HostGate | undefined): string | undefined {
  if (!passed && !declared) return undefined;
  if (!declared) return "health gate: not declared";
  if (!passed) return "health gate: not passed since the host was last applied";
  const changed = [
    passed.script !== declared.script && "script",
    canonicalJson(passed.triggers) !== canonicalJson(declared.triggers) && "triggers",
    passed.timeoutMs !== declared.timeoutMs && "deadline",
  ].filter((c): c is string => c !== false);
  return changed.length > 0 ? `health gate: ${changed.join(", ")}` : undefined;
}

/**
 * The state an apply reached, with the declared gate run on the host: recorded as passed once it
 * passed. A failing gate fails the apply with the gate's message, and the error carries the state
 * reached with no passed gate (even when the apply wrote nothing, unlike partialFailure), so the
 * engine records what the host has and the next `pulumi up` applies it again (writing nothing that
 * is already there, restarting nothing already restarted) and runs the gate.
 */
export async function passGate(
  id: string,
  reached: HostStateOutputs,
  news: HostStateInputs & { __provider?: unknown },
): Promise<HostStateOutputs> {
  const { gate: _lastPassed, ...state } = reached;
  if (!news.gate) return state;
  const { script, timeoutMs } = news.gate;
  try {
    await runGate(news.connection, { label: "health", script, timeoutMs });
  } catch (err) {
    throw failureRecording(err, id, state, news.__provider);
  }
  return { ...state, gate: news.gate };
}
