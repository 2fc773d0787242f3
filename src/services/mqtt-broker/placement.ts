/**
 * Where the fleet's one broker runs (the module declares `onePerFleet`, so a parsed stack has
 * exactly one): what its clients, the docs and verify connect to.
 */
import { soleHostRunning, type FleetModel } from "../../model/fleet";
import type { MqttBrokerOptions } from "./options";

export interface BrokerPlacement {
  host: string;
  port: number;
  mode: MqttBrokerOptions["mode"];
}

export function brokerOf(fleet: FleetModel): BrokerPlacement {
  const host = soleHostRunning(fleet, "mqtt-broker");
  const settings = (host.services as Record<string, MqttBrokerOptions | undefined>)["mqtt-broker"]!;
  return { host: host.name, port: settings.port, mode: settings.mode };
}
