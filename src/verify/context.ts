/**
 * What every check implementation gets: the fleet, the options, the run's shared broker session and
 * the SSH connection of each host. Failures of a shared dependency are thrown as DependencyFailure
 * so that the summary can name the broker or the host once.
 */
import type { HostConnection } from "../host/transport/connection";
import { isHostError } from "../host/transport/errors";
import { runRemote, type RemoteCommandResult } from "../host/transport/ssh";
import type { FleetModel } from "../model/fleet";
import { DependencyFailure, type BrokerSession } from "./broker";
import type { VerifyCheck, VerifyOptions } from "./types";

export interface Outcome {
  ok: boolean;
  detail: string;
}

export interface RunContext {
  fleet: FleetModel;
  options: VerifyOptions;
  /** The run's broker session (connected on first use). */
  broker(): BrokerSession;
  /** How to reach a host over SSH; undefined privateKey means the ssh-agent. */
  connection(host: string): HostConnection;
}

export type CheckImpl<K extends VerifyCheck["check"]["kind"]> = (
  check: Extract<VerifyCheck["check"], { kind: K }>,
  vc: VerifyCheck,
  ctx: RunContext,
  signal: AbortSignal,
) => Promise<Outcome>;

/** Errors of the transport that mean "this host", not "this check". */
const hostWide = new Set(["unreachable", "auth", "host-key", "invalid-connection", "sudo"]);

/** Runs a script on the host; a host that cannot be reached is a DependencyFailure naming it. */
export async function onHost(
  ctx: RunContext,
  host: string,
  script: string,
  purpose: string,
  args: string[] = [],
): Promise<RemoteCommandResult> {
  const connection = ctx.connection(host);
  try {
    return await runRemote(connection, script, { purpose, args, timeoutMs: ctx.options.timeoutMs });
  } catch (error) {
    if (!isHostError(error)) throw error;
    const message = error.message
      .replace(/; nothing was (changed|attempted)\.?$/, "")
      .replace(/\. Nothing was changed by this command$/, "");
    if (error.kind === "timeout") throw new Error(`no answer within ${ctx.options.timeoutMs / 1000} s`);
    if (hostWide.has(error.kind)) {
      throw new DependencyFailure({
        kind: "host",
        host,
        message: error.kind === "unreachable" ? `host unreachable: ${message}` : message,
      });
    }
    throw new Error(message);
  }
}

/** The last non-empty line of a command's output, shortened: enough to say why, never a flood. */
export function lastLine(text: string, max = 120): string {
  const line =
    text
      .trim()
      .split("\n")
      .filter((l) => l.trim() !== "")
      .at(-1)
      ?.trim() ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Seconds with one decimal, for details: "3.2 s". */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Resolves once Date.now() has reached `deadline`, or as soon as the run aborts the check. Never
 * rejects. A timer can fire a millisecond before Date.now() says its time has come (a 3 s heartbeat
 * window was called stale after 2999 ms in CI), and every wait a check reports ("none within N s",
 * "no answer within N s") is measured with Date.now(): so it waits again for what is left.
 */
export async function sleepUntil(deadline: number, signal?: AbortSignal): Promise<void> {
  do await timer(deadline - Date.now(), signal);
  while (Date.now() < deadline && !signal?.aborted);
}

/** Resolves once `ms` have passed by Date.now(), or as soon as the run aborts the check. Never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepUntil(Date.now() + ms, signal);
}

/** One timer of `ms` (at least a turn of the event loop), ended early by an abort. */
function timer(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timeout = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timeout);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
