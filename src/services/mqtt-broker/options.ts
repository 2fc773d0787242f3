/** mqtt-broker's settings. */
import { z } from "zod";
import { enabled, port } from "../option-types";

export const options = z.strictObject({
  enabled,
  port: port(1883).describe("MQTT port."),
  mode: z
    .enum(["docker", "native"], { error: "expected docker or native" })
    .default("docker")
    .describe("docker: the runbook's `mqtt-broker` container; native: mosquitto under systemd, same config."),
});
export type MqttBrokerOptions = z.output<typeof options>;
