/**
 * Scaling stacks: the lab stack's fleet with mirror-1..mirror-N, each extra mirror a copy of
 * mirror-1 at the address and pinned host key `lab.sh up --mirrors N` generated for it. Each size
 * is its own Pulumi stack (`scale-N`, never `lab`), set up by pulumi-stack.ts under
 * ${LYRA_LAB_DIR}/pulumi-scale, so it never touches the lab stack's state.
 *
 *   await setLabMirrors(20);
 *   const stack = await scalingStack(20, { fresh: true });
 *   await stack.pulumi(["up", "--yes", "--stack", stack.stack]);
 */
import { join } from "node:path";
import { stackFleet } from "../support/stack-fleet";
import { labDir, labHosts } from "./lab";
import { labSecrets } from "./pulumi-lab";
import { pulumiStack, stackSecrets, type LabStack } from "./pulumi-stack";

export const scalingStackName = (mirrors: number) => `scale-${mirrors}`;
const scalingDir = (mirrors: number) => join(labDir, "pulumi-scale", scalingStackName(mirrors));

/** Where mirror-1's settings live in the fleet, and what every mirror of a scaling stack copies. */
type FleetObject = { hosts: Record<string, Record<string, unknown>> };

/**
 * The lab fleet with `mirrors` mirrors, each pinned to the host key the lab serves it with; fails
 * naming the missing hosts when the lab runs fewer. `change` edits every mirror's settings (the
 * bench's "one changed setting that touches every mirror").
 */
export function scalingFleet(mirrors: number, change?: (services: Record<string, any>) => void): FleetObject {
  const fleet = stackFleet("lab") as FleetObject;
  const template = fleet.hosts["mirror-1"];
  const lab = new Map(labHosts().map((host) => [host.name as string, host]));
  const missing: string[] = [];
  for (let i = 1; i <= mirrors; i++) {
    const name = `mirror-${i}`;
    const host = lab.get(name);
    if (!host) {
      missing.push(name);
      continue;
    }
    const mirror = structuredClone(template) as Record<string, any>;
    mirror.address = host.address;
    mirror.ssh = { ...mirror.ssh, hostKey: host.hostKey };
    mirror.services ??= {};
    change?.(mirror.services);
    fleet.hosts[name] = mirror;
  }
  if (missing.length > 0)
    throw new Error(`the lab runs no ${missing.join(", ")}: bring it up with \`lab.sh up --mirrors ${mirrors}\``);
  return fleet;
}

/**
 * The scaling stack of `mirrors` mirrors. Its secrets start from the lab stack's, so lyra, vega and
 * mirror-1 keep the values the lab stack gives them; the extra mirrors' are random once, then kept.
 * `fleet` overrides the declared fleet (the bench's changed setting).
 */
export function scalingStack(
  mirrors: number,
  options: { fresh?: boolean; fleet?: () => FleetObject } = {},
): Promise<LabStack> {
  const stack = scalingStackName(mirrors);
  const fleet = options.fleet ?? (() => scalingFleet(mirrors));
  return pulumiStack(
    {
      stack,
      dir: scalingDir(mirrors),
      fleet,
      secrets: () =>
        stackSecrets(fleet(), `stacks/Pulumi.${stack}.yaml`, join(labDir, `${stack}-secrets.json`), labSecrets()),
    },
    { fresh: options.fresh },
  );
}
