/** What a service renderer gets: the fleet, the host it renders for, and its resolved settings. */
import type { FleetModel, Host } from "../model/fleet";
import type { ServiceId, ServiceSettings } from "../model/services";
import type { HostPlan, PlanFragment } from "./plan";

export interface RenderContext<S extends ServiceId = ServiceId> {
  fleet: FleetModel;
  host: Host;
  settings: ServiceSettings[S];
}

/** A service renderer: pure, deterministic, everything about one service. */
export type ServiceRenderer<S extends ServiceId = ServiceId> = (ctx: RenderContext<S>) => PlanFragment;

/** Renderers that need every other host's plan (the docs site). */
export type FleetRenderer = (fleet: FleetModel, host: Host, plans: readonly HostPlan[]) => PlanFragment;

/** The host's FQDN as the other hosts reach it. */
export function fqdnOf(fleet: FleetModel, hostName: string): string {
  return `${hostName}.${fleet.site.domain}`;
}
