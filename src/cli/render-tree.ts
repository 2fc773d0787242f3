/**
 * HostPlans as a tree of files plus a manifest: what `npm run render` writes. Pure.
 * Secret tokens are masked unless secret values are given.
 */
import type { HostPlan, PlannedFile } from "../render/plan";
import { hasSecrets, maskSecrets, resolveSecrets, sha256 } from "../render/secrets";

/** A planned file (a unit file too) with the host it is for. */
export interface TreeFile extends PlannedFile {
  host: string;
  /** The content holds secrets (masked unless shown). */
  secret: boolean;
}

/** Every file a host gets, units included, sorted by path. */
export function hostTree(plan: HostPlan, secrets?: Readonly<Record<string, string>>): TreeFile[] {
  const files: TreeFile[] = plan.files.map((f) => ({ host: plan.host, ...f, secret: hasSecrets(f.content) }));
  for (const unit of plan.units) {
    const base = { host: plan.host, mode: "0644", owner: "root", group: "root", secret: false };
    if (unit.content !== null)
      files.push({ ...base, path: `/etc/systemd/system/${unit.name}`, content: unit.content, restarts: [unit.name] });
    if (unit.content === null && unit.dropIn)
      files.push({
        ...base,
        path: `/etc/systemd/system/${unit.name}.d/lyra-fleet.conf`,
        content: unit.dropIn,
        restarts: [unit.name],
      });
  }
  return files
    .map((f) => ({
      ...f,
      content: f.secret ? (secrets ? resolveSecrets(f.content, secrets) : maskSecrets(f.content)) : f.content,
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface Manifest {
  stack: string;
  secretsShown: boolean;
  hosts: {
    host: string;
    role: string;
    services: string[];
    packages: string[];
    /** The release artifacts the host installs, before its files (see src/render/artifacts.ts). */
    artifacts: HostPlan["artifacts"];
    directories: HostPlan["directories"];
    units: { name: string; enabled: boolean; active: boolean; packaged: boolean }[];
    containers: HostPlan["containers"];
    ports: HostPlan["ports"];
    checks: HostPlan["checks"];
    files: (Omit<TreeFile, "content" | "host"> & { sha256: string })[];
  }[];
}

export function manifestOf(stack: string, plans: HostPlan[], trees: TreeFile[][], secretsShown: boolean): Manifest {
  return {
    stack,
    secretsShown,
    hosts: plans.map((plan, i) => ({
      host: plan.host,
      role: plan.role,
      services: plan.services,
      packages: plan.packages,
      artifacts: plan.artifacts,
      directories: plan.directories,
      units: plan.units.map((u) => ({
        name: u.name,
        enabled: u.enabled,
        active: u.active,
        packaged: u.content === null,
      })),
      containers: plan.containers,
      ports: plan.ports,
      checks: plan.checks,
      files: trees[i].map(({ content, host: _host, ...rest }) => ({ ...rest, sha256: sha256(content) })),
    })),
  };
}
