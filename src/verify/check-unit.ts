/**
 * kind "unit": over SSH, what systemd says about the unit (`systemctl show`). "active" alone is not
 * enough: a timer is "active (waiting)" before it ever fired. So:
 * - any unit must be active, not activating (still starting, or restarting after a failure);
 * - a service must have started its main process at least once (ExecMainStartTimestampMonotonic);
 * - a timer must have triggered at least once (LastTriggerUSecMonotonic), and the service it
 *   triggers must have finished a run (ExecMainExitTimestampMonotonic) whose Result is success.
 *   A run that failed and that systemd runs again (Restart=on-failure, `retriedOnFailure`) is
 *   waited for, up to `retryWaitSeconds`: the verdict is the retry's.
 * Result=success alone proves nothing: systemd reports it for a unit that never ran.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { retryWaitSeconds } from "../render/systemd";
import { onHost, lastLine, type CheckImpl } from "./context";

/** `systemctl show` output as key/value pairs. */
export type UnitProperties = Record<string, string>;

const unitProps =
  "Id,LoadState,ActiveState,SubState,Result,ExecMainStartTimestampMonotonic,ExecMainExitTimestampMonotonic,LastTriggerUSecMonotonic,Triggers";
const serviceProps =
  "Id,LoadState,ActiveState,SubState,Result,NRestarts,ExecMainStartTimestampMonotonic,ExecMainExitTimestampMonotonic,InactiveEnterTimestampMonotonic";

export const retryWaitMs = retryWaitSeconds * 1000;
const rereadEveryMs = 1_000;

/** The unit's properties; for a timer, then a `--` line and the properties of the unit it triggers. */
export const unitShowScript = [
  `systemctl show -p ${unitProps} -- "$1" || exit`,
  'case "$1" in *.timer)',
  '  triggered=$(systemctl show -p Triggers --value -- "$1")',
  `  if [ -n "$triggered" ]; then echo --; systemctl show -p ${serviceProps} -- $triggered; fi ;;`,
  "esac",
].join("\n");

/** Parses `systemctl show` output: one block, or blocks separated by a `--` line. */
export function parseShow(text: string): UnitProperties[] {
  return text.split(/^--$/m).map((block) => {
    const props: UnitProperties = {};
    for (const line of block.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1).trim();
    }
    return props;
  });
}

const never = (value: string | undefined) => value === undefined || value === "" || value === "0";

/**
 * Whether the unit is up and has really run, and a detail that starts with its state. `retrying`:
 * the timer's service failed its last run and systemd is running it again (waiting out its
 * RestartSec, or in the retry; NRestarts counts retries since the last start the timer made).
 */
export function unitVerdict(
  name: string,
  unit: UnitProperties,
  triggered?: UnitProperties,
): { ok: boolean; detail: string; retrying?: boolean } {
  const state = `${unit.ActiveState ?? "unknown"}${unit.SubState ? ` (${unit.SubState})` : ""}`;
  const fail = (why: string) => ({ ok: false, detail: `${state}: ${why}` });
  if (unit.LoadState && unit.LoadState !== "loaded")
    return fail(`LoadState=${unit.LoadState}, no such unit on the host`);
  if (unit.ActiveState === "activating")
    return fail(unit.SubState === "auto-restart" ? "restarting after a failure" : "still starting");
  if (unit.ActiveState !== "active")
    return fail(
      never(unit.ExecMainStartTimestampMonotonic) && name.endsWith(".service")
        ? "never started"
        : `not running (Result=${unit.Result ?? "unknown"})`,
    );
  if (name.endsWith(".service") && never(unit.ExecMainStartTimestampMonotonic))
    return fail("its main process never started");
  if (name.endsWith(".timer")) {
    if (never(unit.LastTriggerUSecMonotonic)) return fail("never triggered yet");
    const service = triggered?.Id ?? unit.Triggers ?? "its service";
    if (!triggered) return fail(`cannot tell how ${service} ran`);
    if (
      triggered.ActiveState === "activating" &&
      (triggered.SubState === "auto-restart" || !never(triggered.NRestarts))
    )
      return { ...fail(`${service}'s last run failed, and systemd is running it again`), retrying: true };
    // While a run is in progress systemd clears the exit timestamp and the result; a run that
    // follows a finished one (the service went inactive before) is the timer doing its work.
    if (triggered.ActiveState === "activating" && !never(triggered.InactiveEnterTimestampMonotonic)) {
      return { ok: true, detail: `${state}, ${service} is running now (after an earlier run)` };
    }
    if (never(triggered.ExecMainExitTimestampMonotonic)) return fail(`${service} has not finished a run yet`);
    if (triggered.Result !== "success")
      return fail(`${service}'s last run failed (Result=${triggered.Result ?? "unknown"})`);
    return { ok: true, detail: `${state}, ${service}'s last run succeeded` };
  }
  return { ok: true, detail: state };
}

/**
 * Reads the unit's state with `show` until it is not a retry in progress, or `waitMs` has passed,
 * reading again every second; the last read's verdict.
 */
export async function settledUnitVerdict(
  name: string,
  show: () => Promise<{ ok: false; detail: string } | string>,
  signal?: AbortSignal,
  waitMs = retryWaitMs,
): Promise<{ ok: boolean; detail: string }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const shown = await show();
    if (typeof shown !== "string") return shown;
    const [unit, triggered] = parseShow(shown);
    const { retrying, ...verdict } = unitVerdict(name, unit, triggered);
    if (!retrying || Date.now() + rereadEveryMs > deadline || signal?.aborted) return verdict;
    await sleep(rereadEveryMs, undefined, { signal }).catch(() => undefined);
  }
}

export const unitCheck: CheckImpl<"unit"> = (check, vc, ctx, signal) =>
  settledUnitVerdict(
    check.unit,
    async () => {
      const result = await onHost(ctx, vc.host, unitShowScript, `systemctl show ${check.unit}`, [check.unit]);
      if (result.exitCode !== 0)
        return { ok: false, detail: lastLine(result.stderr) || `systemctl show exited ${result.exitCode}` };
      return result.stdout;
    },
    signal,
  );
