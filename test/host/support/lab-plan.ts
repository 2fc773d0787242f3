/**
 * A lab host's items as the program would hand them to HostState, built with the project's own
 * render functions from stacks/Pulumi.lab.yaml, without the Pulumi CLI: the plan's files (secret
 * tokens filled in from the lab stack's secrets), directories, packages and units, ordered and
 * triggered as src/fleet/host.ts does.
 */
import { triggerFiles } from "../../../src/fleet/order";
import type { HostConnection } from "../../../src/host/transport/connection";
import type { HostStateInputs } from "../../../src/host/resources/host-state-provider";
import type { UnitItem } from "../../../src/host/resources/host-state-items";
import { parseFleet } from "../../../src/model/load";
import type { FleetModel } from "../../../src/model/fleet";
import { planFleet } from "../../../src/render";
import type { HostPlan } from "../../../src/render/plan";
import { hasSecrets, resolveSecrets } from "../../../src/render/secrets";
import { stackFleet } from "../../support/stack-fleet";

export const labStackFile = "stacks/Pulumi.lab.yaml";

/**
 * The lab stack's fleet with `host` running only `services` (the others keep theirs): how a test
 * leaves out what needs app artifacts the lab host does not have. `edit` changes the stack's
 * fleet object first (a wrong NAS host key, say).
 */
export function labFleet(
  host: string,
  services: readonly string[],
  edit: (fleet: Record<string, any>) => void = () => {},
): FleetModel {
  const raw = stackFleet("lab");
  edit(raw);
  const fleet = parseFleet(raw, labStackFile);
  const target = fleet.hosts.find((h) => h.name === host);
  if (!target) throw new Error(`no host ${host} in ${labStackFile}`);
  const all = target.services as Record<string, unknown>;
  const missing = services.filter((s) => all[s] === undefined);
  if (missing.length > 0) throw new Error(`${host} does not run ${missing.join(", ")} in ${labStackFile}`);
  (target as { services: unknown }).services = Object.fromEntries(services.map((s) => [s, all[s]]));
  return fleet;
}

export function hostPlan(fleet: FleetModel, host: string): HostPlan {
  const plan = planFleet(fleet).find((p) => p.host === host);
  if (!plan) throw new Error(`no plan for ${host}`);
  return plan;
}

/** The plan as HostState's inputs (as src/fleet/host.ts builds them), secrets filled in. */
export function hostStateInputs(
  plan: HostPlan,
  connection: HostConnection,
  secrets: Record<string, string>,
): HostStateInputs {
  const meta = (f: { mode: string; owner: string; group: string }) => ({
    mode: f.mode,
    owner: f.owner,
    group: f.group,
  });
  const units: Record<string, UnitItem> = {};
  for (const unit of plan.units) {
    units[unit.name] = {
      content: unit.content,
      ...(unit.dropIn !== undefined ? { dropIn: unit.dropIn } : {}),
      enabled: unit.enabled,
      active: unit.active,
      after: [...new Set(plan.unitOrder[unit.name] ?? [])].sort(),
      restartOn: triggerFiles(unit, plan),
    };
  }
  return {
    connection,
    packages: plan.packages,
    directories: Object.fromEntries(plan.directories.map((d) => [d.path, meta(d)])),
    files: Object.fromEntries(
      plan.files.filter((f) => !hasSecrets(f.content)).map((f) => [f.path, { content: f.content, ...meta(f) }]),
    ),
    secretFiles: Object.fromEntries(
      plan.files
        .filter((f) => hasSecrets(f.content))
        .map((f) => [f.path, { content: resolveSecrets(f.content, secrets), ...meta(f) }]),
    ),
    units,
    artifacts: {},
  };
}
