/**
 * One fleet host: its HostPlan as one drift-aware HostState resource over SSH, which converges in
 * the order a host needs: packages, then directories and files, then units (each after the units
 * it is ordered after, and restarted when a file it reads is written).
 */
import * as pulumi from "@pulumi/pulumi";
import { HostState, type FileItem, type HostConnectionInputs, type UnitItem } from "../host/resources";
import type { HostPlan } from "../render/plan";
import { contentsHash, hasSecrets } from "../render/secrets";
import { artifactItems, triggerArtifacts, triggerFiles } from "./order";
import { fileItem, secretFileItems, type SecretValues } from "./secrets";

export interface HostArgs {
  /** The host's desired state, from src/render. */
  plan: HostPlan;
  /** How to reach it: pinned host key, user, and the private key as a secret (or the agent). */
  connection: pulumi.Input<HostConnectionInputs>;
  /** Secret values by flat stack config key. */
  secrets: SecretValues;
  /** Resources on other hosts this host's units wait for (the broker, the config source). */
  dependsOn?: pulumi.Resource[];
}

export class Host extends pulumi.ComponentResource {
  /** Everything the host must have, as one resource. */
  readonly state: HostState;
  /** The files holding secrets, values filled in (one secret output), if any. */
  readonly secretFiles?: pulumi.Output<Record<string, FileItem>>;
  private readonly plainContent: Record<string, string>;
  private readonly filePaths: Set<string>;

  constructor(name: string, args: HostArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("lyra-fleet:fleet:Host", name, {}, opts);
    const { plan, connection, secrets } = args;
    if (plan.host !== name) throw new Error(`Host '${name}': args.plan is for host '${plan.host}'`);

    const plainFiles = plan.files.filter((f) => !hasSecrets(f.content));
    const secretFiles = secretFileItems(
      plan.files.filter((f) => hasSecrets(f.content)),
      secrets,
      `Host '${name}'`,
    );
    this.secretFiles = secretFiles;
    this.plainContent = Object.fromEntries(plainFiles.map((f) => [f.path, f.content]));
    this.filePaths = new Set(plan.files.map((f) => f.path));

    const units: Record<string, UnitItem> = {};
    for (const unit of plan.units) {
      const after = new Set(plan.unitOrder[unit.name] ?? []);
      units[unit.name] = {
        content: unit.content,
        ...(unit.dropIn !== undefined ? { dropIn: unit.dropIn } : {}),
        enabled: unit.enabled,
        active: unit.active,
        after: [...after].sort(),
        // Any write of these files (a change, or the repair of a hand edit) or install of these
        // artifacts restarts the unit exactly once, so what runs is what was declared.
        restartOn: [...triggerArtifacts(unit, plan), ...triggerFiles(unit, plan)],
      };
    }

    this.state = new HostState(
      `${name}:state`,
      {
        connection,
        packages: plan.packages,
        directories: Object.fromEntries(
          plan.directories.map((d) => [d.path, { mode: d.mode, owner: d.owner, group: d.group }]),
        ),
        files: Object.fromEntries(plainFiles.map((f) => [f.path, fileItem(f)])),
        secretFiles,
        units,
        artifacts: artifactItems(plan),
        ...(plan.aptProxy !== undefined && { aptProxy: plan.aptProxy }),
      },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    this.registerOutputs();
  }

  /**
   * One sha256 over the content of these files, secrets filled in (so secret itself when any of
   * them holds one): what changes exactly when one of them does.
   */
  contentHash(paths: readonly string[]): pulumi.Output<string> {
    const unknown = paths.filter((path) => !this.filePaths.has(path));
    if (unknown.length > 0) throw new Error(`${unknown.join(", ")}: not among this host's files`);
    const secret = this.secretFiles ?? pulumi.output({} as Record<string, FileItem>);
    return secret.apply((items) => contentsHash(paths.map((path) => this.plainContent[path] ?? items[path].content)));
  }
}
