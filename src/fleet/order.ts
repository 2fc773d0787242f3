/**
 * The order things converge in, as plain data (no Pulumi): which units and files each unit waits
 * for or restarts on. The Pulumi layer turns these into a host state's `after` and `restartOn`, and
 * into `dependsOn` across hosts; tests read them directly.
 */
import type { FleetModel } from "../model/fleet";
import type { HostPlan, PlannedUnit } from "../render/plan";

/** Other units of the same plan this unit is ordered after (After=, Requires=, Wants=, BindsTo=). */
export function unitsOrderedBefore(unit: PlannedUnit, plan: HostPlan): string[] {
  if (unit.content === null) return [];
  const named = new Set<string>();
  for (const line of unit.content.split("\n")) {
    const match = /^(After|Requires|Wants|BindsTo)=(.*)$/.exec(line);
    if (match) for (const name of match[2].split(/\s+/)) if (name) named.add(name);
  }
  // A timer starts its service: the service must be installed first.
  if (unit.name.endsWith(".timer")) named.add(unit.name.replace(/\.timer$/, ".service"));
  return plan.units.filter((u) => u.name !== unit.name && named.has(u.name)).map((u) => u.name).sort();
}

/** Files whose change restarts `unit`: their hashes are its restart triggers. */
export function triggerFiles(unit: PlannedUnit, plan: HostPlan): string[] {
  return plan.files.filter((f) => f.restarts.includes(unit.name)).map((f) => f.path);
}

/** Where the broker lives, as the resource everything that speaks MQTT waits for. */
export function brokerResource(fleet: FleetModel): { host: string; kind: "container" | "unit"; name: string } {
  return fleet.broker.mode === "docker"
    ? { host: fleet.broker.host, kind: "container", name: "mqtt-broker" }
    : { host: fleet.broker.host, kind: "unit", name: "mqtt-broker.service" };
}

/** A unit's declared prerequisites, split by kind (see PlannedUnit.after). */
export function prerequisites(unit: PlannedUnit): { broker: boolean; configSource: boolean; units: { host: string; unit: string }[] } {
  const refs = unit.after.map((ref) => {
    const slash = ref.indexOf("/");
    if (slash <= 0) throw new Error(`internal: unit ${unit.name} declares '${ref}' in after; expected "host/what"`);
    return { host: ref.slice(0, slash), what: ref.slice(slash + 1) };
  });
  return {
    broker: refs.some((r) => r.what === "broker"),
    configSource: refs.some((r) => r.what === "config-source"),
    units: refs.filter((r) => r.what !== "broker" && r.what !== "config-source").map((r) => ({ host: r.host, unit: r.what })),
  };
}
