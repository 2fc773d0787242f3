/** Builders for a unit's typed prerequisites (see Prerequisite in ./plan.ts); labels are what the docs show. */
import type { Prerequisite } from "./plan";

/** A unit: ordered after it on the same host; on another host, that host converges first. */
export function unitPrerequisite(host: string, unit: string, label = `${host}/${unit}`): Prerequisite {
  return { kind: "unit", label, host, unit };
}

/** A container on a host: created before the unit's host converges. */
export function containerPrerequisite(host: string, container: string, label = `${host}/${container}`): Prerequisite {
  return { kind: "container", label, host, container };
}

/** A whole host converged; `what` names the reason in the docs ("vega/config-source"). */
export function hostPrerequisite(host: string, what: string): Prerequisite {
  return { kind: "host", label: `${host}/${what}`, host };
}
