/** mqtt-broker: mosquitto (container or unit), its passwords and ACL, and its metrics. */
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";
import { mqttPasswordKey, mqttPasswordRules } from "./secrets";

export const service = defineService({
  id: "mqtt-broker",
  options,
  roles: ["vega"],
  render,
  onePerFleet: true,
  // Every MQTT user's password: the broker's passwd file holds them all.
  secretKeys: (fleet) => fleet.mqttUsers.map((user) => mqttPasswordKey(user.name)),
  secretRules: mqttPasswordRules,
});
