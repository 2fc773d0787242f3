/**
 * Drives a dynamic provider the way the Pulumi engine does for `pulumi up` with
 * `options.refresh: always` (Pulumi.yaml): check, then read (refresh), then diff, then create,
 * update or replace. State goes through JSON in between, as it does in the engine's checkpoint.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";

/** A provider with every method (ours all have them). */
export type FullProvider = Required<
  Pick<dynamic.ResourceProvider, "check" | "diff" | "create" | "read" | "update" | "delete">
>;

/** What the engine keeps for one resource between runs. */
export interface ResourceState {
  id: string;
  outs: Record<string, unknown>;
}

/** What one apply did to the resource. */
export type ApplyAction = "create" | "recreate" | "update" | "replace" | "same";

/** The outcome of one apply. */
export interface ApplyOutcome {
  state: ResourceState;
  action: ApplyAction;
  /** Properties the diff reported as differing (our providers' extra field). */
  differing: string[];
}

function throughJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** check(): throws with the failures, as the engine would stop. */
export async function checkInputs(
  provider: FullProvider,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
) {
  const checked = await provider.check(olds, throughJson(news));
  if (checked.failures?.length) {
    throw new Error(`check failed: ${checked.failures.map((f) => `${f.property} ${f.reason}`).join("; ")}`);
  }
  return throughJson(checked.inputs ?? news);
}

/** Refresh only: the read the engine does first. Undefined when the resource is gone. */
export async function refresh(provider: FullProvider, state: ResourceState): Promise<ResourceState | undefined> {
  const read = await provider.read(state.id, throughJson(state.outs));
  if (!read.id) return undefined;
  return { id: read.id, outs: throughJson(read.props ?? {}) };
}

/** One `pulumi up` of a single resource. Pass undefined state for a resource not created yet. */
export async function applyLikeEngine(
  provider: FullProvider,
  state: ResourceState | undefined,
  desired: Record<string, unknown>,
): Promise<ApplyOutcome> {
  const inputs = await checkInputs(provider, state?.outs ?? {}, desired);
  const refreshed = state ? await refresh(provider, state) : undefined;
  if (!refreshed) {
    const created = await provider.create(inputs);
    return {
      state: { id: created.id, outs: throughJson(created.outs ?? {}) },
      action: state ? "recreate" : "create",
      differing: [],
    };
  }
  const diff = (await provider.diff(refreshed.id, refreshed.outs, inputs)) as dynamic.DiffResult & {
    differing?: string[];
  };
  const differing = diff.differing ?? [];
  if (diff.replaces?.length) {
    if (diff.deleteBeforeReplace) await provider.delete(refreshed.id, refreshed.outs);
    const created = await provider.create(inputs);
    if (!diff.deleteBeforeReplace) await provider.delete(refreshed.id, refreshed.outs);
    return { state: { id: created.id, outs: throughJson(created.outs ?? {}) }, action: "replace", differing };
  }
  if (diff.changes) {
    const updated = await provider.update(refreshed.id, refreshed.outs, inputs);
    return { state: { id: refreshed.id, outs: throughJson(updated.outs ?? {}) }, action: "update", differing };
  }
  return { state: refreshed, action: "same", differing };
}

/** One resource of a small stack: its provider, what the program declares, and the engine's state. */
export interface StackResource {
  /** A label for messages ("unit", "config"). */
  label: string;
  provider: FullProvider;
  /** Computes the declared inputs (may read other resources' states, like Pulumi outputs). */
  desired: () => Record<string, unknown>;
  state?: ResourceState;
}

/**
 * One `pulumi up` over a stack, resources in the order given (dependencies first, as the engine
 * orders them). Returns each resource's action by label.
 */
export async function applyStack(resources: StackResource[]): Promise<Record<string, ApplyOutcome>> {
  const outcomes: Record<string, ApplyOutcome> = {};
  for (const resource of resources) {
    const outcome = await applyLikeEngine(resource.provider, resource.state, resource.desired());
    resource.state = outcome.state;
    outcomes[resource.label] = outcome;
  }
  return outcomes;
}

/** `pulumi destroy` over a stack: dependents first. */
export async function destroyStack(resources: StackResource[]): Promise<void> {
  for (const resource of [...resources].reverse()) {
    if (resource.state) await resource.provider.delete(resource.state.id, resource.state.outs);
    resource.state = undefined;
  }
}
