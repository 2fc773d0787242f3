/** health-publisher's settings. */
import { z } from "zod";
import { enabled, seconds } from "../option-types";

export const options = z.strictObject({
  enabled,
  intervalSeconds: seconds(30, 5, 3600).describe("How often the host's health is published."),
});
export type HealthPublisherOptions = z.output<typeof options>;
