/** What a service renderer gets: the fleet, the host it renders for, and its resolved settings. */
import type { FleetModel, Host } from "../model/fleet";
import type { HostPlan, PlanFragment } from "./plan";

/** `Settings`: the service's own options type (from its options.ts), so a service's types stay in its folder. */
export interface RenderContext<Settings = unknown> {
  fleet: FleetModel;
  host: Host;
  settings: Settings;
}

/** A service renderer: pure, deterministic, everything about one service. */
export type ServiceRenderer<Settings = unknown> = (ctx: RenderContext<Settings>) => PlanFragment;

/** Renderers that need every other host's plan (the docs site). */
export type FleetRenderer = (fleet: FleetModel, host: Host, plans: readonly HostPlan[]) => PlanFragment;

/** The host's FQDN as the other hosts reach it. */
export function fqdnOf(fleet: FleetModel, hostName: string): string {
  return `${hostName}.${fleet.site.domain}`;
}
