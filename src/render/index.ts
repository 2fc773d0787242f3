/**
 * FleetModel -> HostPlan per host. Pure: no Pulumi, no I/O.
 * Each registered service module renders its part (src/services); this file only orders them.
 */
import type { FleetModel, Host } from "../model/fleet";
import { serviceModules } from "../services/registry";
import type { ServiceModule } from "../services/module";
import { aptFragment } from "./apt";
import { assemblePlan } from "./assemble";
import type { RenderContext } from "./context";
import type { HostPlan, PlanFragment } from "./plan";

/** The modules of the services a host runs, in id order, each with its render context. */
function placed(
  fleet: FleetModel,
  host: Host,
): { module: ServiceModule; ctx: RenderContext<Record<string, unknown>> }[] {
  const settings = host.services as Record<string, unknown>;
  return serviceModules()
    .filter((module) => settings[module.id] !== undefined)
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((module) => ({ module, ctx: { fleet, host, settings: settings[module.id] as Record<string, unknown> } }));
}

/** The host's data sets, in the registry's order. */
export function dataSetsOf(host: Host): HostPlan["dataSets"] {
  const settings = host.services as Record<string, unknown>;
  return serviceModules().flatMap((module) =>
    module.dataSets && settings[module.id] !== undefined
      ? module.dataSets(settings[module.id] as never).map((data) => ({ service: module.id, ...data }))
      : [],
  );
}

/** Every host's plan, in host name order. */
export function planFleet(fleet: FleetModel): HostPlan[] {
  const services = fleet.hosts.map((host) => placed(fleet, host));
  const dataSets = fleet.hosts.map((host) => dataSetsOf(host));
  // Every host's apt settings (a building block, no service), then each service's part.
  const fragments: PlanFragment[][] = services.map((list) => [
    aptFragment(fleet),
    ...list.flatMap(({ module, ctx }) => (module.render ? [module.render(ctx)] : [])),
  ]);
  // What needs the rest of its host's plan (the health publisher) renders next...
  const hostPlans = fleet.hosts.map((host, i) => {
    const plan = assemblePlan(host, fragments[i], dataSets[i]);
    const after = services[i].filter(({ module }) => module.renderAfterHost !== undefined);
    if (after.length === 0) return plan;
    fragments[i].push(...after.map(({ module, ctx }) => module.renderAfterHost!(ctx, plan)));
    return assemblePlan(host, fragments[i], dataSets[i]);
  });
  // ...and what describes every host's plan (the docs site) last.
  return fleet.hosts.map((host, i) => {
    const after = services[i].filter(({ module }) => module.renderAfterFleet !== undefined);
    if (after.length === 0) return hostPlans[i];
    return assemblePlan(
      host,
      [...fragments[i], ...after.map(({ module, ctx }) => module.renderAfterFleet!(ctx, hostPlans))],
      dataSets[i],
    );
  });
}

export type { HostPlan } from "./plan";
