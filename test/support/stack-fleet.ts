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
