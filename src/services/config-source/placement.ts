/**
 * Where the fleet's one config source is (the module declares `onePerFleet`, so a parsed stack
 * has exactly one): what the mirrors sync from unless a mirror names another source.
 */
import { soleHostRunning, type FleetModel } from "../../model/fleet";
import type { ConfigSourceOptions } from "./options";

export interface ConfigSourcePlacement {
  host: string;
  /** The tree the mirrors sync (/opt/lyra/config). */
  path: string;
}

export function configSourceOf(fleet: FleetModel): ConfigSourcePlacement {
  const host = soleHostRunning(fleet, "config-source");
  const settings = (host.services as Record<string, ConfigSourceOptions | undefined>)["config-source"]!;
  return { host: host.name, path: settings.path };
}
