/**
 * The verify command's vocabulary: a planned check bound to where it is reached, and its result.
 * Plain data, so the table, the JSON output and the incident record all read the same thing.
 */
import type { HealthCheck } from "../render/plan";

export type CheckKind = HealthCheck["kind"];

/** What a failure shares with other failures: one dead broker or host explains many red lines. */
export type FailureCause = { kind: "broker"; message: string } | { kind: "host"; host: string; message: string };

/** One check of one host's plan, as verify runs it. */
export interface VerifyCheck {
  /** The plan's host. */
  host: string;
  check: HealthCheck;
  /** How it is reached, for the output: "GET http://127.0.0.11:8000/healthz", "ssh root@127.0.0.11:22". */
  via: string;
}

export interface CheckResult {
  host: string;
  name: string;
  kind: CheckKind;
  ok: boolean;
  /** One short sentence: "200", "active", "broker unreachable: vega:1883 (connection refused)". */
  detail: string;
  latencyMs: number;
  /** Set when the check failed because something it depends on is down. */
  cause?: FailureCause;
}

/** Everything a check implementation may need; built once per run. */
export interface VerifyOptions {
  /** Deadline of one check that is not a freshness window (HTTP, SSH, round trip), in ms. */
  timeoutMs: number;
  /** Overrides every freshness window (mqtt-fresh, mqtt-registered), in seconds. */
  staleAfterSeconds?: number;
}

export interface RunReport {
  startedAt: string;
  durationMs: number;
  results: CheckResult[];
  passed: number;
  failed: number;
  /** Shared causes, each with the checks it explains (the summary names them once). */
  causes: { message: string; checks: string[] }[];
}
