/** nodered's settings. */
import { z } from "zod";
import { enabled, port, seconds } from "../option-types";

export const options = z.strictObject({
  enabled,
  port: port(1880).describe("Node-RED's editor and dashboard port."),
  staleAfterSeconds: seconds(60, 5, 3600).describe("A host whose heartbeat is older than this shows as stale."),
});
export type NoderedOptions = z.output<typeof options>;
