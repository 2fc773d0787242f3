/**
 * The order things converge in, as plain data (no Pulumi): which files each unit restarts on, and
 * which hosts converge before which (the order of a host's own units is in its plan: unitOrder). The Pulumi layer turns these into a
 * host state's `after` and `restartOn`, and into `dependsOn` across hosts; tests read them directly.
 */
import type { HostPlan, PlannedArtifact, PlannedUnit, Prerequisite } from "../render/plan";

/** Files whose change restarts `unit`: their hashes are its restart triggers. */
export function triggerFiles(unit: PlannedUnit, plan: HostPlan): string[] {
  return plan.files.filter((f) => f.restarts.includes(unit.name)).map((f) => f.path);
}

/** Install dirs of the artifacts whose (re)install restarts `unit`. */
export function triggerArtifacts(unit: PlannedUnit, plan: HostPlan): string[] {
  return plan.artifacts.filter((a) => a.restarts.includes(unit.name)).map((a) => a.installDir);
}

/** A plan's artifacts as host state items, by key (the key and restarts live elsewhere in the state). */
export function artifactItems(plan: HostPlan): Record<string, Omit<PlannedArtifact, "key" | "restarts">> {
  return Object.fromEntries(plan.artifacts.map(({ key, restarts: _restarts, ...item }) => [key, item]));
}

/** Plans by host name, for {@link prerequisiteProblem}; a new map, the caller's to change. */
export function plansByHost(plans: readonly HostPlan[]): Map<string, HostPlan> {
  return new Map(plans.map((plan) => [plan.host, plan]));
}

/** Why a prerequisite cannot be met: it names a host, unit or container no plan declares. */
export function prerequisiteProblem(
  prerequisite: Prerequisite,
  plans: ReadonlyMap<string, HostPlan>,
): string | undefined {
  const target = plans.get(prerequisite.host);
  if (!target) return `names host '${prerequisite.host}', which has no plan`;
  if (prerequisite.kind === "unit" && !target.units.some((u) => u.name === prerequisite.unit))
    return `names unit ${prerequisite.unit}, which host '${prerequisite.host}' does not declare`;
  if (prerequisite.kind === "container" && !target.containers.some((c) => c.name === prerequisite.container)) {
    return `names container ${prerequisite.container}, which host '${prerequisite.host}' does not declare`;
  }
  return undefined;
}

/** The hosts each host's units wait for, other than itself. */
export function hostsWaitedFor(plan: HostPlan): string[] {
  return [
    ...new Set(plan.units.flatMap((u) => u.after.map((p) => p.host)).filter((host) => host !== plan.host)),
  ].sort();
}

/**
 * Hosts in the order they are declared: each after the hosts its units wait for (the broker's
 * and the config source's host first), otherwise by name. A cycle cannot be honoured; its hosts
 * follow in name order, and a prerequisite declared later is then not waited for.
 *
 * Each step places the first host by name whose waits are met, or, when none is (a cycle), the
 * first host by name not yet placed: a topological sort with the ready hosts in a heap, so that a
 * large fleet costs n log n, not a scan of every host per host placed.
 */
export function convergeOrder(plans: readonly HostPlan[]): string[] {
  const names = plans.map((p) => p.host).sort();
  const indexOf = new Map(names.map((name, index) => [name, index]));
  // For each host, how many hosts it waits for are not placed yet (a host with no plan never is,
  // and is not waited for), and who waits for it.
  const unmet = names.map(() => 0);
  const waiters: number[][] = names.map(() => []);
  for (const plan of plans) {
    for (const other of hostsWaitedFor(plan)) {
      const known = indexOf.get(other);
      if (known === undefined) continue;
      unmet[indexOf.get(plan.host)!]++;
      waiters[known].push(indexOf.get(plan.host)!);
    }
  }
  const ready = new MinHeap();
  unmet.forEach((count, index) => count === 0 && ready.push(index));
  const placed = names.map(() => false);
  const order: string[] = [];
  let firstUnplaced = 0;
  while (order.length < names.length) {
    let next = ready.pop();
    while (next !== undefined && placed[next]) next = ready.pop();
    if (next === undefined) {
      while (placed[firstUnplaced]) firstUnplaced++;
      next = firstUnplaced;
    }
    placed[next] = true;
    order.push(names[next]);
    for (const waiter of waiters[next]) if (--unmet[waiter] === 0 && !placed[waiter]) ready.push(waiter);
  }
  return order;
}

/** A binary min-heap of numbers (here: indexes into the hosts sorted by name). */
class MinHeap {
  private readonly items: number[] = [];

  push(item: number): void {
    const items = this.items;
    let at = items.push(item) - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (items[parent] <= item) break;
      items[at] = items[parent];
      at = parent;
    }
    items[at] = item;
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= items.length) break;
      if (child + 1 < items.length && items[child + 1] < items[child]) child++;
      if (items[child] >= last) break;
      items[at] = items[child];
      at = child;
    }
    items[at] = last;
    return top;
  }
}
