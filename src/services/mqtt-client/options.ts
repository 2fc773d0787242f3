/** mqtt-client's settings. */
import { z } from "zod";
import { enabled, seconds } from "../option-types";

export const options = z.strictObject({
  enabled,
  heartbeatSeconds: seconds(15, 1, 60).describe("Interval of the presence heartbeat."),
});
export type MqttClientOptions = z.output<typeof options>;
