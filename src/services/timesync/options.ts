/** timesync's settings (chrony). */
import { z } from "zod";
import { enabled, flag } from "../option-types";

export const options = z.strictObject({
  enabled,
  serve: flag(false).describe("Answer NTP for the LAN, and keep serving the local clock when upstream is unreachable."),
  containerized: flag(false).describe(
    "The host is a container (the lab): chronyd measures but must not set the clock it does not own.",
  ),
});
export type TimesyncOptions = z.output<typeof options>;
