/** A stack file's fleet object as written (before validation), a fresh copy for each caller to change. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { fleetConfigKey } from "../../src/model/load";

const root = join(__dirname, "..", "..");

export function stackFleet(stack: string): Record<string, any> {
  return structuredClone(
    parse(readFileSync(join(root, "stacks", `Pulumi.${stack}.yaml`), "utf8")).config[fleetConfigKey],
  );
}

/** A stack's fleet with mirror-1..mirror-N, each mirror-1's settings at the address `addressOf` gives it. */
export function fleetWithMirrors(
  stack: string,
  mirrors: number,
  addressOf: (mirror: number) => string,
): Record<string, any> {
  const fleet = stackFleet(stack);
  const template = fleet.hosts["mirror-1"];
  for (const name of Object.keys(fleet.hosts)) if (name.startsWith("mirror-")) delete fleet.hosts[name];
  for (let i = 1; i <= mirrors; i++)
    fleet.hosts[`mirror-${i}`] = { ...structuredClone(template), address: addressOf(i) };
  return fleet;
}

/** The home stack with `mirrors` mirrors, each mirror-1's settings at an address of its own. */
export function homeFleetWithMirrors(mirrors: number): Record<string, any> {
  return fleetWithMirrors("home", mirrors, (i) => `10.${Math.floor(i / 250) + 1}.${i % 250}.${(i % 200) + 20}`);
}
