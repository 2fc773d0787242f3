/**
 * A small, honest stand-in for the Pulumi engine's `up` with `refresh: always`, for the lab (the
 * Pulumi CLI cannot run here). It takes the resources the real program declared under mocks, and
 * drives the real providers through their own methods, in dependency order:
 *   refresh: read every resource in state (drift, wiped hosts); as in Pulumi's engine, a read that
 *     fails stops the whole run before anything is changed;
 *   then per declared resource: check, then create (absent), or diff and update/replace;
 *   then delete what is no longer declared, in reverse order.
 * A failed resource fails alone: what depends on it is skipped, everything else goes on
 * (`pulumi up --continue-on-error`).
 */
import type { Registration } from "../../program/harness";

/** The provider methods the engine calls (Pulumi's dynamic.ResourceProvider shape). */
export interface EngineProvider {
  check?(olds: any, news: any): Promise<{ inputs?: any; failures?: { property: string; reason: string }[] }>;
  diff?(id: string, olds: any, news: any): Promise<{ changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean; differing?: string[] }>;
  create(inputs: any): Promise<{ id: string; outs?: any }>;
  read?(id: string, props: any): Promise<{ id?: string; props?: any }>;
  update?(id: string, olds: any, news: any): Promise<{ outs?: any }>;
  delete?(id: string, props: any): Promise<void>;
}

export interface StateEntry {
  urn: string;
  type: string;
  name: string;
  id: string;
  outputs: any;
  dependencies: string[];
}

export type Operation = "create" | "update" | "replace" | "delete" | "same" | "failed" | "skipped";

export interface Step {
  urn: string;
  name: string;
  op: Operation;
  /** Properties that differed (update/replace), or the error (failed). */
  detail?: string;
  ms: number;
}

export interface ConvergeResult {
  steps: Step[];
  state: StateEntry[];
}

/** Resources in an order where every dependency comes first. */
export function dependencyOrder(resources: Registration[]): Registration[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const done = new Set<string>();
  const order: Registration[] = [];
  const visit = (r: Registration, path: string[]) => {
    if (done.has(r.urn)) return;
    if (path.includes(r.urn)) throw new Error(`dependency cycle: ${[...path, r.urn].join(" -> ")}`);
    for (const d of r.dependencies) {
      const dep = byUrn.get(d);
      if (dep) visit(dep, [...path, r.urn]);
    }
    done.add(r.urn);
    order.push(r);
  };
  for (const r of resources) visit(r, []);
  return order;
}

/** Component resources group others; they have no provider and nothing to converge. */
function dependenciesOf(r: Registration, byUrn: Map<string, Registration>): string[] {
  // A dependency on a component means a dependency on everything under it.
  const out = new Set<string>();
  const add = (urn: string) => {
    const dep = byUrn.get(urn);
    if (!dep) return;
    if (dep.custom) out.add(urn);
    else for (const child of byUrn.values()) if (child.parent === urn) add(child.urn);
  };
  r.dependencies.forEach(add);
  return [...out];
}

export async function converge(
  declared: Registration[],
  previous: StateEntry[],
  providerFor: (r: { type: string; name: string }) => EngineProvider | undefined,
): Promise<ConvergeResult> {
  const byUrn = new Map(declared.map((r) => [r.urn, r]));
  const custom = dependencyOrder(declared.filter((r) => r.custom)).filter((r) => providerFor(r));
  const state = new Map(previous.map((s) => [s.urn, s]));
  const steps: Step[] = [];
  const failed = new Set<string>();
  const timed = async (urn: string, name: string, run: () => Promise<{ op: Operation; detail?: string }>) => {
    const started = Date.now();
    try {
      const { op, detail } = await run();
      steps.push({ urn, name, op, detail, ms: Date.now() - started });
    } catch (err) {
      failed.add(urn);
      steps.push({ urn, name, op: "failed", detail: (err as Error).message, ms: Date.now() - started });
    }
  };

  // Refresh: what do the hosts really have? (Pulumi.yaml: refresh: always)
  const refreshFailures: string[] = [];
  for (const entry of [...state.values()]) {
    const provider = providerFor(entry);
    if (!provider?.read) continue;
    try {
      const read = await provider.read(entry.id, entry.outputs);
      if (!read.id) state.delete(entry.urn);
      else state.set(entry.urn, { ...entry, id: read.id, outputs: read.props ?? entry.outputs });
    } catch (err) {
      refreshFailures.push(`${entry.name}: ${(err as Error).message}`);
    }
  }
  if (refreshFailures.length > 0) throw new Error(`refresh failed, so nothing was changed:\n${refreshFailures.join("\n")}`);

  for (const r of custom) {
    const provider = providerFor(r)!;
    const deps = dependenciesOf(r, byUrn);
    const blocked = deps.filter((d) => failed.has(d));
    if (blocked.length > 0) {
      failed.add(r.urn);
      steps.push({ urn: r.urn, name: r.name, op: "skipped", detail: `waits for failed ${blocked.map((u) => u.split("::").pop()).join(", ")}`, ms: 0 });
      continue;
    }
    // A provider that fails part way reports the state it reached (Pulumi's ErrorResourceInitFailed):
    // keep it, as the engine does, so the next run knows what was really done.
    const keepPartial = (err: unknown): never => {
      const e = err as { id?: string; properties?: Record<string, unknown> };
      if (e?.id && e.properties) {
        const { __provider: _provider, ...outputs } = e.properties;
        state.set(r.urn, { urn: r.urn, type: r.type, name: r.name, id: e.id, outputs, dependencies: deps });
      }
      throw err;
    };
    await timed(r.urn, r.name, async () => {
      const old = state.get(r.urn);
      let news = r.inputs;
      if (provider.check) {
        const checked = await provider.check(old?.outputs ?? {}, news);
        if (checked.failures?.length) throw new Error(checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
        news = checked.inputs ?? news;
      }
      if (!old) {
        const created = await provider.create(news).catch(keepPartial);
        state.set(r.urn, { urn: r.urn, type: r.type, name: r.name, id: created.id, outputs: created.outs ?? news, dependencies: deps });
        return { op: "create" };
      }
      const diff: { changes?: boolean; replaces?: string[]; differing?: string[]; deleteBeforeReplace?: boolean } = provider.diff
        ? await provider.diff(old.id, old.outputs, news)
        : { changes: JSON.stringify(old.outputs) !== JSON.stringify(news) };
      if (!diff.changes) {
        state.set(r.urn, { ...old, dependencies: deps });
        return { op: "same" };
      }
      if (diff.replaces?.length || !provider.update) {
        // Pulumi replaces create-before-delete unless the provider asks otherwise: a failed
        // create (an unreachable host) then leaves the old resource in place.
        if (diff.deleteBeforeReplace && provider.delete) await provider.delete(old.id, old.outputs);
        const created = await provider.create(news);
        if (!diff.deleteBeforeReplace && provider.delete) await provider.delete(old.id, old.outputs);
        state.set(r.urn, { urn: r.urn, type: r.type, name: r.name, id: created.id, outputs: created.outs ?? news, dependencies: deps });
        return { op: "replace", detail: (diff.replaces ?? []).join(", ") };
      }
      const updated = await provider.update(old.id, old.outputs, news).catch(keepPartial);
      state.set(r.urn, { ...old, outputs: updated.outs ?? news, dependencies: deps });
      return { op: "update", detail: (diff as { differing?: string[] }).differing?.join(", ") };
    });
  }

  // Delete what is no longer declared, dependents first.
  const declaredUrns = new Set(custom.map((r) => r.urn));
  const stale = [...state.values()].filter((s) => !declaredUrns.has(s.urn)).reverse();
  for (const entry of stale) {
    await timed(entry.urn, entry.name, async () => {
      await providerFor(entry)?.delete?.(entry.id, entry.outputs);
      state.delete(entry.urn);
      return { op: "delete" };
    });
  }
  return { steps, state: [...state.values()] };
}
