/**
 * One verify run: every check at once, each under its own deadline, so a dead host or broker costs
 * one timeout, not one per check. A run never throws for a failing check; it reports it.
 */
import { BrokerSession, DependencyFailure, type BrokerTarget } from "./broker";
import { commandCheck } from "./check-command";
import { containerCheck } from "./check-container";
import { httpCheck } from "./check-http";
import { mqttFreshCheck } from "./check-mqtt-fresh";
import { mqttRegisteredCheck } from "./check-mqtt-registered";
import { mqttRoundTripCheck } from "./check-mqtt-roundtrip";
import { retryWaitMs, unitCheck } from "./check-unit";
import type { CheckImpl, Outcome, RunContext } from "./context";
import { sleep } from "./context";
import type { CheckKind, CheckResult, FailureCause, RunReport, VerifyCheck, VerifyOptions } from "./types";
import type { HostConnection } from "../host/transport/connection";
import type { FleetModel } from "../model/fleet";

const impls: { [K in CheckKind]: CheckImpl<K> } = {
  http: httpCheck,
  unit: unitCheck,
  container: containerCheck,
  command: commandCheck,
  "mqtt-roundtrip": mqttRoundTripCheck,
  "mqtt-fresh": mqttFreshCheck,
  "mqtt-registered": mqttRegisteredCheck,
};

export interface RunSetup {
  fleet: FleetModel;
  options: VerifyOptions;
  /** The monitor user's broker login; undefined when no MQTT check runs. */
  broker?: BrokerTarget;
  connection: (host: string) => HostConnection;
}

/**
 * The longest a check may take: its freshness window when it has one, else connect + command, and
 * for a unit the wait for a timer's service that systemd runs again after a failed run.
 */
export function checkDeadlineMs(check: VerifyCheck["check"], options: VerifyOptions): number {
  if (check.kind === "mqtt-fresh" || check.kind === "mqtt-registered") {
    return (options.staleAfterSeconds ?? check.withinSeconds) * 1000 + options.timeoutMs;
  }
  return 2 * options.timeoutMs + (check.kind === "unit" ? retryWaitMs : 0);
}

async function runOne(vc: VerifyCheck, ctx: RunContext): Promise<CheckResult> {
  const started = Date.now();
  const abort = new AbortController();
  const limitMs = checkDeadlineMs(vc.check, ctx.options);
  const impl = impls[vc.check.kind] as CheckImpl<CheckKind>;
  const base = { host: vc.host, name: vc.check.name, kind: vc.check.kind };
  try {
    const outcome = await Promise.race([
      impl(vc.check, vc, ctx, abort.signal),
      sleep(limitMs, abort.signal).then((): Outcome => ({ ok: false, detail: `no answer within ${limitMs / 1000} s` })),
    ]);
    return { ...base, ...outcome, latencyMs: Date.now() - started };
  } catch (error) {
    const cause: FailureCause | undefined = error instanceof DependencyFailure ? error.failure : undefined;
    return { ...base, ok: false, detail: (error as Error).message, cause, latencyMs: Date.now() - started };
  } finally {
    abort.abort();
  }
}

/** Failures that share a cause, grouped: the summary names the broker or host once. */
export function groupCauses(results: readonly CheckResult[]): RunReport["causes"] {
  const byMessage = new Map<string, string[]>();
  for (const r of results) {
    if (r.ok || !r.cause) continue;
    byMessage.set(r.cause.message, [...(byMessage.get(r.cause.message) ?? []), r.name]);
  }
  return [...byMessage].map(([message, checks]) => ({ message, checks }));
}

/**
 * Runs every check in parallel. `onResult` sees each result as it lands (the live table); the
 * report lists results in the order of `checks`.
 */
export async function runChecks(
  checks: readonly VerifyCheck[],
  setup: RunSetup,
  onResult?: (r: CheckResult, index: number) => void,
): Promise<RunReport> {
  const startedAt = new Date();
  let session: BrokerSession | undefined;
  const ctx: RunContext = {
    fleet: setup.fleet,
    options: setup.options,
    connection: setup.connection,
    broker: () => {
      if (!setup.broker) throw new Error("internal: an MQTT check ran without the broker's login");
      return (session ??= new BrokerSession(setup.broker, setup.options.timeoutMs));
    },
  };
  try {
    const results = await Promise.all(
      checks.map(async (vc, i) => {
        const result = await runOne(vc, ctx);
        onResult?.(result, i);
        return result;
      }),
    );
    const failed = results.filter((r) => !r.ok).length;
    return {
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      results,
      passed: results.length - failed,
      failed,
      causes: groupCauses(results),
    };
  } finally {
    await session?.close();
  }
}
