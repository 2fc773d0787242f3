/** ups's settings (NUT). */
import { z } from "zod";
import { withRule } from "../../model/issues";
import { enabled } from "../option-types";
import { upsDeviceProblem } from "./device";
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
  // One word NUT's drivers can reach the UPS by (./device.ts).
  device: withRule(z.string({ error: "expected the NUT port, e.g. auto or /dev/ttyUSB0" }), upsDeviceProblem)
    .default("auto")
    .describe("ups.conf's `port =`: where the UPS is attached."),
});
export type UpsOptions = z.output<typeof options>;
