/** mqtt-broker: mosquitto (container or unit), its passwords and ACL, and its metrics. */
import { defineService } from "../module";
import { monitorUser } from "./mosquitto-config";
import { options } from "./options";
import { brokerBackup, brokerDataPath, render } from "./render";
import { derivedMqttPasswords, mqttPasswordKey, mqttPasswordRules } from "./secrets";

export const service = defineService({
  id: "mqtt-broker",
  options,
  roles: ["vega"],
  images: ["mqtt-broker"],
  render,
  onePerFleet: true,
  // Retained messages and persistent sessions (mosquitto.db, `persistence true`): the mirrors'
  // registrations and the last state of every topic.
  dataSets: (settings) => [
    {
      path: brokerDataPath(settings.mode),
      note: "retained messages and sessions (mosquitto.db)",
      backup: brokerBackup(settings.mode),
    },
  ],
  // Every MQTT user's password: the broker's passwd file holds them all.
  secretKeys: (fleet) => fleet.mqttUsers.map((user) => mqttPasswordKey(user.name)),
  secretRules: mqttPasswordRules,
  // Each host's own, unless the stack sets it: from `mqtt-passwords-key`.
  derivedSecrets: derivedMqttPasswords,
  // The verify command's and the deploy gate's user: the round trip on lyra/test, every health topic.
  mqtt: { users: { [monitorUser]: { publish: ["lyra/test"], subscribe: ["lyra/#"], operator: true } } },
});
