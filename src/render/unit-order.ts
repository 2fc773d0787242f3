/**
 * The order a host's units start in, worked out once while the plan is assembled, so the layers
 * below take it from the plan as data: a unit starts after the units of its host that its
 * [Unit] section names (its `startsAfter`), a timer after its service, and after the units its
 * typed prerequisites name on its own host.
 */
import type { PlannedUnit } from "./plan";

export function unitsOrderedBefore(unit: PlannedUnit, host: string, units: readonly PlannedUnit[]): string[] {
  const named = new Set<string>(unit.startsAfter ?? []);
  // A timer starts its service: the service must be installed first.
  if (unit.name.endsWith(".timer")) named.add(unit.name.replace(/\.timer$/, ".service"));
  for (const prerequisite of unit.after)
    if (prerequisite.kind === "unit" && prerequisite.host === host) named.add(prerequisite.unit);
  return units
    .filter((u) => u.name !== unit.name && named.has(u.name))
    .map((u) => u.name)
    .sort();
}
