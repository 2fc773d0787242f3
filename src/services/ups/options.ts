/** ups's settings (NUT). */
import { z } from "zod";
import { enabled } from "../option-types";
import { nutDriverPackage, nutDriverPackages } from "./drivers";

export const options = z.strictObject({
  enabled,
  name: z
    .string({ error: "expected a UPS name, e.g. lyra-ups" })
    .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: "expected a UPS name, e.g. lyra-ups" })
    .default("lyra-ups")
    .describe("The UPS's name in NUT (`upsc <name>@localhost`)."),
  driver: z
    .string({ error: "expected a NUT driver name, e.g. usbhid-ups" })
    .refine((driver) => nutDriverPackage(driver) !== undefined, {
      error: `expected a NUT driver Debian packages: ${Object.keys(nutDriverPackages).join(", ")}`,
    })
    .default("usbhid-ups")
    .describe(
      "The NUT driver, one a Debian 12 package installs (a network driver such as snmp-ups brings its package).",
    ),
  // One word, since NUT reads a space, quote, '#' or '=' as syntax.
  device: z
    .string({ error: "expected the NUT port, e.g. auto or /dev/ttyUSB0" })
    .regex(/^[A-Za-z0-9_.:@/+-]{1,255}$/, {
      error: "expected the NUT port as one word of letters, digits and . _ : @ / + -, e.g. auto or /dev/ttyUSB0",
    })
    .default("auto")
    .describe("ups.conf's `port =`: where the UPS is attached."),
});
export type UpsOptions = z.output<typeof options>;
