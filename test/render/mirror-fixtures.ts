/** Fixtures for the mirror renderers' tests (mqtt-client, stt-service, lyra-client, config-sync); the rest is in fixtures.ts. */
import type { FleetModel } from "../../src/model/fleet";
import type { ServiceId, ServiceSettings } from "../../src/model/services";
import type { ServiceRenderer } from "../../src/render/context";
import type { PlanFragment } from "../../src/render/plan";
import { fragmentOf, homeFleet, unitFile } from "./fixtures";

/** The home fleet with one setting of one service on mirror-1 changed. */
export function withMirrorSetting(
  service: ServiceId,
  settings: Record<string, unknown>,
  host = "mirror-1",
): FleetModel {
  return homeFleet((raw) => {
    raw.hosts[host].services = {
      ...raw.hosts[host].services,
      [service]: { ...raw.hosts[host].services?.[service], ...settings },
    };
  });
}

/** Where a mirror service's tests start: the home fleet, the service's fragment on mirror-1, and its unit file. */
export function onMirror<S extends ServiceId>(
  render: ServiceRenderer<ServiceSettings[S]>,
  service: S,
  unitName: string,
): { fleet: FleetModel; fragment: PlanFragment; unit: string } {
  const fleet = homeFleet();
  const fragment = fragmentOf(render, service, fleet, "mirror-1");
  return { fleet, fragment, unit: unitFile(fragment, unitName) };
}
