/** config-source's settings. */
import { z } from "zod";
import { enabled, hostPath } from "../option-types";

export const options = z.strictObject({
  enabled,
  path: hostPath("/opt/lyra/config").describe("The config tree the mirrors sync."),
});
export type ConfigSourceOptions = z.output<typeof options>;
