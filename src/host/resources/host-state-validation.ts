/**
 * Validation of a HostState's items and the order its units converge in. Shared by the resource
 * class (which throws before anything is registered) and the provider's `check`.
 */
import { aptPackagesProblems } from "./apt-packages";
import { artifactProblems } from "./artifacts";
import { directoryProblems } from "./directory";
import { fileProblems } from "./file-provider";
import type { FileItem, UnitItem } from "./host-state-items";
import { containsUnknown } from "./provider-support";
import type { PathMetadata } from "../transport/remote-path";
import { systemdUnitProblems } from "./systemd-unit-provider";
import type { Problem } from "./validation";

export interface HostStateItems {
  packages?: unknown;
  directories?: Record<string, PathMetadata>;
  files?: Record<string, FileItem>;
  secretFiles?: Record<string, FileItem>;
  units?: Record<string, UnitItem>;
  artifacts?: unknown;
  aptProxy?: unknown;
}

/** Problems of one item, its property named under the item: `files["/etc/x"].mode`. */
function under(where: string, problems: Problem[]): Problem[] {
  return problems.map((p) => ({
    property: p.property === "path" || p.property === "name" ? where : `${where}.${p.property}`,
    reason: p.reason,
  }));
}

/** Every problem with the items (values not known yet are skipped). */
export function hostStateProblems(inputs: HostStateItems): Problem[] {
  const problems: Problem[] = [];
  if (Array.isArray(inputs.packages) && inputs.packages.length > 0)
    problems.push(...aptPackagesProblems({ packages: inputs.packages }));
  if (inputs.aptProxy !== undefined)
    problems.push(
      ...aptPackagesProblems({ proxy: inputs.aptProxy }).map((p) => ({ property: "aptProxy", reason: p.reason })),
    );
  for (const [path, dir] of Object.entries(inputs.directories ?? {}))
    problems.push(...under(`directories[${JSON.stringify(path)}]`, directoryProblems({ path, ...dir })));
  const declaredFiles = new Set<string>();
  for (const kind of ["files", "secretFiles"] as const) {
    const items = inputs[kind];
    if (typeof items !== "object" || items === null || containsUnknown(items)) continue;
    for (const [path, file] of Object.entries(items)) {
      declaredFiles.add(path);
      problems.push(...under(`${kind}[${JSON.stringify(path)}]`, fileProblems({ path, ...file })));
    }
  }
  problems.push(...artifactProblems(inputs.artifacts));
  // A unit may restart on an artifact's install: its installDir, as on a file's path.
  const installDirs = new Set(
    typeof inputs.artifacts === "object" && inputs.artifacts !== null && !containsUnknown(inputs.artifacts)
      ? Object.values(inputs.artifacts as Record<string, { installDir?: unknown }>).map((a) => a?.installDir)
      : [],
  );
  const units = inputs.units ?? {};
  // Secret files not known yet (a preview): a unit may restart on one of them.
  const secretsKnown = !containsUnknown(inputs.secretFiles);
  for (const [name, unit] of Object.entries(units)) {
    const where = `units[${JSON.stringify(name)}]`;
    problems.push(
      ...under(
        where,
        systemdUnitProblems({
          name,
          content: unit.content,
          dropIn: unit.dropIn,
          enabled: unit.enabled,
          active: unit.active,
        }),
      ),
    );
    for (const other of unit.after ?? []) {
      if (!units[other])
        problems.push({
          property: `${where}.after`,
          reason: `names ${JSON.stringify(other)}, which is not a unit of this host`,
        });
    }
    for (const path of unit.restartOn ?? []) {
      if (secretsKnown && !declaredFiles.has(path) && !installDirs.has(path))
        problems.push({
          property: `${where}.restartOn`,
          reason: `names ${JSON.stringify(path)}, which is not a file or an artifact's installDir of this host`,
        });
    }
  }
  if (problems.length === 0) {
    try {
      unitApplyOrder(units);
    } catch (err) {
      problems.push({ property: "units", reason: (err as Error).message });
    }
  }
  return problems;
}

/** Unit names in an order where every unit comes after those it names in `after`; ties by name. */
export function unitApplyOrder(units: Record<string, Pick<UnitItem, "after">>): string[] {
  const order: string[] = [];
  const pending = Object.keys(units).sort();
  while (pending.length > 0) {
    const index = pending.findIndex((name) =>
      (units[name].after ?? []).every((other) => order.includes(other) || !units[other]),
    );
    if (index < 0) throw new Error(`order each other in a cycle: ${pending.join(", ")}`);
    order.push(...pending.splice(index, 1));
  }
  return order;
}
