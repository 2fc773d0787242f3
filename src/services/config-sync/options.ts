/** config-sync's settings. */
import { z } from "zod";
import { enabled } from "../option-types";

export const options = z.strictObject({
  enabled,
  source: z
    .string({ error: "expected the name of a host in this stack" })
    .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: "expected the name of a host in this stack" })
    .optional()
    .describe("Host that holds the config source; defaults to the host running config-source."),
  intervalMinutes: z
    .number({ error: "expected a number of minutes (1-1440)" })
    .int({ error: "expected a whole number of minutes (1-1440)" })
    .min(1, { error: "expected at least 1 minute" })
    .max(1440, { error: "expected at most 1440 minutes (a day)" })
    .default(5)
    .describe("How often the config is synced."),
});
export type ConfigSyncOptions = z.output<typeof options>;
