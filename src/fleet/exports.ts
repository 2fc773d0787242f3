/** What `pulumi stack output` shows per host: address, services, health endpoints, the docs URL. */
import type { HostPlan } from "../render/plan";

export interface HostExport {
  address: string;
  role: string;
  services: string[];
  units: string[];
  healthEndpoints: string[];
  docsUrl?: string;
}

export function fleetExports(plans: HostPlan[]): Record<string, HostExport> {
  return Object.fromEntries(
    plans.map((plan) => {
      // The docs site, on the host whose plan serves it.
      const site = plan.docsSite[0];
      return [
        plan.host,
        {
          address: plan.connection.address,
          role: plan.role,
          services: plan.services,
          units: plan.units.map((u) => u.name),
          healthEndpoints: plan.checks.flatMap((c) => (c.kind === "http" ? [c.url] : [])),
          ...(site ? { docsUrl: site.url } : {}),
        },
      ];
    }),
  );
}
