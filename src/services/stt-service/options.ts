/** stt-service's settings. */
import { z } from "zod";
import { enabled, port } from "../option-types";

export const options = z.strictObject({
  enabled,
  port: port(8200).describe("HTTP port of the speech-to-text service."),
});
export type SttServiceOptions = z.output<typeof options>;
