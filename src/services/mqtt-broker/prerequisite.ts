/** What a client of the broker waits for: the container, or the unit in native mode; "<host>/broker" either way in the docs. */
import type { FleetModel } from "../../model/fleet";
import type { Prerequisite } from "../../render/plan";
import { containerPrerequisite, unitPrerequisite } from "../../render/prerequisites";
import { nativeUnitName } from "./mosquitto-config";

/** The runbook's container name (`docker logs mqtt-broker`). */
export const brokerContainerName = "mqtt-broker";

export function brokerPrerequisite(fleet: FleetModel): Prerequisite {
  const label = `${fleet.broker.host}/broker`;
  return fleet.broker.mode === "docker"
    ? containerPrerequisite(fleet.broker.host, brokerContainerName, label)
    : unitPrerequisite(fleet.broker.host, nativeUnitName, label);
}
