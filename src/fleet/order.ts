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

/** Plans by host name, for {@link prerequisiteProblem}. */
export function plansByHost(plans: readonly HostPlan[]): ReadonlyMap<string, HostPlan> {
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
 */
export function convergeOrder(plans: readonly HostPlan[]): string[] {
  const waits = new Map(plans.map((p) => [p.host, hostsWaitedFor(p)]));
  const pending = plans.map((p) => p.host).sort();
  // A Set keeps its insertion order: the order hosts were placed in.
  const order = new Set<string>();
  while (pending.length > 0) {
    const ready =
      pending.find((host) => waits.get(host)!.every((other) => order.has(other) || !waits.has(other))) ?? pending[0];
    order.add(ready);
    pending.splice(pending.indexOf(ready), 1);
  }
  return [...order];
}
