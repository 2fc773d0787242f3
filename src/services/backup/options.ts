/** backup's per-host settings: the schedule and retention are fleet-wide (the stack's `backup:`). */
import { z } from "zod";
import { enabled } from "../option-types";

export const options = z.strictObject({ enabled });
export type BackupOptions = z.output<typeof options>;
