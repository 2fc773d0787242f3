/**
 * One fleet host: its HostPlan as one drift-aware HostState resource over SSH, which converges in
 * the order a host needs: packages, then directories and files, then units (each after the units
 * it is ordered after, and restarted when a file it reads is written).
 *
 * A Host is not a Pulumi component: its state is the Fleet's child. A component per host was one
 * registration more per host, and its registered outputs one more call, for a node in the tree that
 * held nothing else (about 0.6 s of a 1000-mirror evaluation, bench/program-scale.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  HostState,
  type FileItem,
  type HostConnectionInputs,
  type HostStateArgs,
  type UnitItem,
} from "../host/resources";
import { dynamicResourceType } from "../host/resources/provider-entry";
import { HOST_RESOURCE_MODULE } from "../host/resources/resource-support";
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
  /** The gate its state runs after each apply (a host with no containers that nobody waits for). */
  gate?: HostStateArgs["gate"];
}

export interface HostOptions {
  /** The component the host's resources belong to: the Fleet. */
  parent: pulumi.Resource;
  /** That component's type token, which the former URN of the host's state is built from. */
  parentType: string;
}

/** The type token of the component each host was until stacks moved to the flat layout. */
const FORMER_HOST_TYPE = "lyra-fleet:fleet:Host";

/**
 * The URN a host's state had while each host was a `lyra-fleet:fleet:Host` component: its alias,
 * so that a stack written then keeps every state as it is (nothing replaced, nothing touched on
 * the host) and only drops the empty components. A URN text rather than an alias spec naming the
 * old parent: the spec costs the SDK an output per host.
 */
function formerStateUrn(parentType: string, host: string): string {
  const stateType = dynamicResourceType(HOST_RESOURCE_MODULE, "HostState");
  const types = `${parentType}$${FORMER_HOST_TYPE}$${stateType}`;
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${types}::${host}:state`;
}

export class Host {
  /** Everything the host must have, as one resource. */
  readonly state: HostState;
  /** The files holding secrets, values filled in (one secret output), if any. */
  readonly secretFiles?: pulumi.Output<Record<string, FileItem>>;
  private readonly plainContent: Record<string, string>;
  private readonly filePaths: Set<string>;
  /** The files its containers hash (their config files): the only plain content it keeps. */
  private readonly hashable: Set<string>;

  constructor(name: string, args: HostArgs, opts: HostOptions) {
    const { plan, connection, secrets } = args;
    if (plan.host !== name) throw new Error(`Host '${name}': args.plan is for host '${plan.host}'`);

    const plainFiles = plan.files.filter((f) => !hasSecrets(f.content));
    const secretFiles = secretFileItems(
      plan.files.filter((f) => hasSecrets(f.content)),
      secrets,
      `Host '${name}'`,
    );
    this.secretFiles = secretFiles;
    // Only what a container hashes (its config files): the rest of the plan's content (at 1000
    // mirrors, lyra's 18 MB docs site) is let go once the state is declared.
    this.hashable = new Set(plan.containers.flatMap((c) => c.configFiles));
    this.plainContent = Object.fromEntries(
      plainFiles.filter((f) => this.hashable.has(f.path)).map((f) => [f.path, f.content]),
    );
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
        ...(args.gate && { gate: args.gate }),
      },
      { parent: opts.parent, dependsOn: args.dependsOn ?? [], aliases: [formerStateUrn(opts.parentType, name)] },
    );
  }

  /**
   * One sha256 over the content of these files, secrets filled in (so secret itself when any of
   * them holds one): what changes exactly when one of them does.
   */
  contentHash(paths: readonly string[]): pulumi.Output<string> {
    const unknown = paths.filter((path) => !this.filePaths.has(path));
    if (unknown.length > 0) throw new Error(`${unknown.join(", ")}: not among this host's files`);
    const unkept = paths.filter((path) => !this.hashable.has(path));
    if (unkept.length > 0) throw new Error(`${unkept.join(", ")}: not a config file of this host's containers`);
    const secret = this.secretFiles ?? pulumi.output({} as Record<string, FileItem>);
    return secret.apply((items) => contentsHash(paths.map((path) => this.plainContent[path] ?? items[path].content)));
  }
}
