/** What a client of the broker waits for: the container, or the unit in native mode; "<host>/broker" either way in the docs. */
import type { FleetModel } from "../../model/fleet";
import type { Prerequisite } from "../../render/plan";
import { containerPrerequisite, unitPrerequisite } from "../../render/prerequisites";
import { nativeUnitName } from "./mosquitto-config";
import { brokerOf } from "./placement";

/** The runbook's container name (`docker logs mqtt-broker`). */
export const brokerContainerName = "mqtt-broker";

export function brokerPrerequisite(fleet: FleetModel): Prerequisite {
  const label = `${brokerOf(fleet).host}/broker`;
  return brokerOf(fleet).mode === "docker"
    ? containerPrerequisite(brokerOf(fleet).host, brokerContainerName, label)
    : unitPrerequisite(brokerOf(fleet).host, nativeUnitName, label);
}
