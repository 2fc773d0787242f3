/**
 * One fleet host: its HostPlan as drift-aware resources over SSH, in the order they converge:
 * packages, then directories (parents first) and files, then units (each after its files and the
 * units it is ordered after).
 */
import * as pulumi from "@pulumi/pulumi";
import { AptPackages, Directory, File, SystemdUnit, type HostConnectionInputs } from "../host/resources";
import type { HostPlan } from "../render/plan";
import { parentDirectory, triggerFiles, unitsOrderedBefore } from "./order";
import { fileContent, type SecretValues } from "./secrets";

export interface HostArgs {
  /** The host's desired state, from src/render. */
  plan: HostPlan;
  /** How to reach it: pinned host key, user, and the private key as a secret (or the agent). */
  connection: HostConnectionInputs;
  /** Secret values by flat stack config key. */
  secrets: SecretValues;
  /** Per unit name: resources on other hosts it must wait for (the broker, the config source). */
  externalDependencies?: (unitName: string) => pulumi.Resource[];
}

export class Host extends pulumi.ComponentResource {
  /** The host's units by name, for cross-host ordering and health gates. */
  readonly units: Record<string, SystemdUnit> = {};
  /** The host's files by path. */
  readonly files: Record<string, File> = {};
  readonly packages?: AptPackages;

  constructor(name: string, args: HostArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("lyra-fleet:fleet:Host", name, {}, opts);
    const { plan, connection, secrets } = args;
    if (plan.host !== name) throw new Error(`Host '${name}': args.plan is for host '${plan.host}'`);
    const parent = { parent: this };

    this.packages = plan.packages.length > 0 ? new AptPackages(`${name}:packages`, { connection, packages: plan.packages }, parent) : undefined;
    const afterPackages = this.packages ? [this.packages] : [];

    const directories: Record<string, Directory> = {};
    // Sorted by path, so a parent is always declared before its children.
    for (const dir of plan.directories) {
      const up = parentDirectory(dir.path, plan.directories);
      directories[dir.path] = new Directory(`${name}:${dir.path}`, { connection, ...dir }, { ...parent, dependsOn: [...afterPackages, ...(up ? [directories[up.path]] : [])] });
    }

    for (const file of plan.files) {
      const up = parentDirectory(file.path, plan.directories);
      this.files[file.path] = new File(
        `${name}:${file.path}`,
        { connection, path: file.path, content: fileContent(file.content, secrets, `${name}:${file.path}`), mode: file.mode, owner: file.owner, group: file.group },
        { ...parent, dependsOn: [...afterPackages, ...(up ? [directories[up.path]] : [])] },
      );
    }

    const allFiles = Object.values(this.files);
    const allDirectories = Object.values(directories);
    // Units in an order where everything a unit is ordered after is declared first.
    const pending = [...plan.units];
    while (pending.length > 0) {
      const index = pending.findIndex((u) => unitsOrderedBefore(u, plan).every((n) => this.units[n]));
      if (index < 0) throw new Error(`Host '${name}': units order each other in a cycle: ${pending.map((u) => u.name).join(", ")}`);
      const [unit] = pending.splice(index, 1);
      this.units[unit.name] = new SystemdUnit(
        `${name}:${unit.name}`,
        {
          connection,
          name: unit.name,
          content: unit.content,
          dropIn: unit.dropIn,
          enabled: unit.enabled,
          active: unit.active,
          // Any write of these files (a change, or the repair of a hand edit) restarts the unit
          // exactly once, so what runs is what was declared.
          triggers: triggerFiles(unit, plan).map((path) => this.files[path].writeId),
        },
        {
          ...parent,
          dependsOn: [
            ...afterPackages,
            ...allDirectories,
            ...allFiles,
            ...unitsOrderedBefore(unit, plan).map((n) => this.units[n]),
            ...(args.externalDependencies?.(unit.name) ?? []),
          ],
        },
      );
    }
    this.registerOutputs({ units: Object.keys(this.units), files: Object.keys(this.files) });
  }
}
