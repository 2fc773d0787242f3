/**
 * A HostState's state as data: the empty state, its items without the connection and the marks,
 * a canonical text of them, and the digest that tells a health gate the host changed.
 */
import type { HostConnection } from "../transport/connection";
import { sha256Hex } from "../transport/remote-path";
import type { HostStateOutputs } from "./host-state-types";
import { artifactTrigger } from "./artifacts";

export const emptyState = (connection: HostConnection): HostStateOutputs => ({
  connection,
  packages: { packages: [], installed: {} },
  directories: {},
  files: {},
  secretFiles: {},
  units: {},
  artifacts: {},
});

/** Deepest first, so a directory is removed after what it holds. */
export const deepestFirst = (paths: string[]) => [...paths].sort().reverse();

/** The writeId of every file, plain or secret. */
export const writeIds = (state: HostStateOutputs): Record<string, string> =>
  Object.fromEntries(
    Object.entries({ ...state.files, ...state.secretFiles }).map(([path, file]) => [path, file.writeId]),
  );

/**
 * What each artifact's install directory counts as in a unit's triggers (see artifactTrigger):
 * the build installed there, or "" when it is not installed.
 */
export const artifactTriggers = (state: HostStateOutputs): Record<string, string> =>
  Object.fromEntries(Object.values(state.artifacts ?? {}).map((a) => [a.installDir, artifactTrigger(a)]));

/**
 * JSON with every object's keys sorted (the same items give the same text, whatever order they
 * were read in), leaving out the keys named in `omit`.
 */
export const canonicalJson = (value: unknown, omit: readonly string[] = []) =>
  JSON.stringify(value, (key: string, v: unknown): unknown => {
    if (omit.includes(key)) return undefined;
    return v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v;
  });

/**
 * The items of a state, without the connection, the marks and the gate: what changes when
 * something was done. The engine hands an update its old state with the serialized provider in
 * `__provider`, which is no item either (in the digest, it made every update's digest differ from
 * the next read's).
 */
export const itemsOf = ({
  connection: _connection,
  unreadable: _unreadable,
  converged: _converged,
  gate: _gate,
  ...items
}: HostStateOutputs) => {
  delete (items as { __provider?: unknown }).__provider;
  return items;
};

/**
 * What a unit's state observes that changes while nothing on the host does (a timer between runs,
 * a oneshot starting, a static unit's file state known only once read): `active` and `enabled`
 * say what matters, so these stay out of the digest.
 */
const PASSING_OBSERVATIONS = ["activeState", "subState", "unitFileState"];

/** The state with its {@link HostStateOutputs.converged} digest. */
export const withDigest = (state: HostStateOutputs): HostStateOutputs => ({
  ...state,
  converged: sha256Hex(canonicalJson(itemsOf(state), [...PASSING_OBSERVATIONS, ...noArtifacts(state)])),
});

/**
 * `artifacts` when a state has none: state written before artifacts existed has no such key, and
 * its digest must not change by being read with this code (a health gate would run for nothing).
 */
const noArtifacts = (state: HostStateOutputs) => (Object.keys(state.artifacts ?? {}).length === 0 ? ["artifacts"] : []);

/**
 * An error that carries the state reached so far when something was done, so the engine records
 * it (a file written but its unit not yet restarted is restarted by the next `pulumi up`). When
 * nothing was done (say, the host was unreachable), the state stays as it was, connection included.
 */
export function partialFailure(
  err: unknown,
  id: string,
  start: string,
  reached: HostStateOutputs,
  provider: unknown,
): Error {
  const failure = err instanceof Error ? err : new Error(String(err));
  if (canonicalJson(itemsOf(reached)) === start) return failure;
  return failureRecording(failure, id, reached, provider);
}

/**
 * `err` carrying `state` in the form the SDK's dynamic provider hands the engine as a partial
 * failure: the engine records the state and reports the error.
 */
export function failureRecording(err: unknown, id: string, state: HostStateOutputs, provider: unknown): Error {
  const failure = err instanceof Error ? err : new Error(String(err));
  return Object.assign(failure, {
    id,
    properties: { ...withDigest(state), __provider: provider },
    reasons: [failure.message],
  });
}
