/** What `pulumi stack output` shows per host: address, services, health endpoints, the docs URL. */
import type { FleetModel } from "../model/fleet";
import type { HostPlan } from "../render/plan";

export interface HostExport {
  address: string;
  role: string;
  services: string[];
  units: string[];
  healthEndpoints: string[];
  docsUrl?: string;
}

export function fleetExports(model: FleetModel, plans: HostPlan[]): Record<string, HostExport> {
  return Object.fromEntries(
    plans.map((plan) => {
      const host = model.hosts.find((h) => h.name === plan.host)!;
      const mkdocs = host.services.mkdocs;
      return [
        plan.host,
        {
          address: host.address,
          role: host.role,
          services: plan.services,
          units: plan.units.map((u) => u.name),
          healthEndpoints: plan.checks.flatMap((c) => (c.kind === "http" ? [c.url] : [])),
          ...(mkdocs ? { docsUrl: `http://${host.fqdn}:${mkdocs.port}/` } : {}),
        },
      ];
    }),
  );
}
