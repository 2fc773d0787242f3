/**
 * A planned container (the runbook's `mqtt-broker`, or any other) on its host, through the Docker
 * provider over SSH. Its config files (declared in the host's state) are mounted; a hash of them
 * is a label, so a config change recreates the container from the known config. The container's
 * own arguments come from ./container-args.ts, which the lab also runs on a real Docker engine.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PlannedContainer } from "../render/plan";
import type { HostConnectionInputs } from "../host/resources";
import type { Host } from "./host";
import { containerResourceArgs, containerVolumes } from "./container-args";

export interface ContainerArgs {
  container: PlannedContainer;
  connection: HostConnectionInputs;
  /** The container's host: its state holds the container's config files. */
  host: Host;
}

/** ssh options that pin the host key (the Docker CLI's ssh would otherwise trust on first use). */
export function pinnedSshOptions(address: string, hostKey: string): string[] {
  const [type, key] = hostKey.split(" ");
  return [
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    `KnownHostsCommand=/bin/echo ${address} ${type} ${key}`,
    "-o",
    "ConnectTimeout=10",
  ];
}

export class Container extends pulumi.ComponentResource {
  readonly container: docker.Container;

  constructor(name: string, args: ContainerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    // Named BrokerContainer while the broker was the only container: the alias keeps existing
    // stacks' container (and its children) instead of replacing it.
    super(
      "lyra-fleet:fleet:Container",
      name,
      {},
      { ...opts, aliases: [...(opts.aliases ?? []), { type: "lyra-fleet:fleet:BrokerContainer" }] },
    );
    const { container: spec, connection, host } = args;
    const provider = new docker.Provider(
      `${name}-docker`,
      {
        host: pulumi.interpolate`ssh://${connection.user}@${connection.address}:${connection.port}`,
        sshOpts: pulumi.all([connection.address, connection.hostKey]).apply(([a, k]) => pinnedSshOptions(a, k)),
      },
      { parent: this },
    );
    // The pull and the volumes need the host's Docker engine, which its state installs and
    // configures (a re-flashed host has none; daemon.json names the NAS registry): a child waits
    // only for what it names, not for what its parent waits for.
    const image = new docker.RemoteImage(
      `${name}-image`,
      { name: spec.image, keepLocally: true },
      { parent: this, provider, dependsOn: [host.state] },
    );
    const volumes = containerVolumes(spec).map(
      (volume) =>
        new docker.Volume(
          `${name}-${volume}`,
          { name: volume },
          { parent: this, provider, retainOnDelete: true, dependsOn: [host.state] },
        ),
    );
    // One hash over every config file: any change (passwords included) recreates the container.
    let configHash: pulumi.Output<string>;
    try {
      configHash = host.contentHash(spec.configFiles);
    } catch (err) {
      throw new Error(`Container '${name}': container config file ${(err as Error).message}`);
    }
    // The image ID, not repoDigest: @pulumi/docker 4.6.2 stores the ID and diffs it against a
    // digest, so repoDigest replaced the container (restarting the broker) on every `pulumi up`
    // (pulumi-docker issue 1431, fixed in 4.7.0). The image is still pulled by digest (its name).
    this.container = new docker.Container(`${name}-container`, containerResourceArgs(spec, image.imageId, configHash), {
      parent: this,
      provider,
      dependsOn: [host.state, ...volumes],
      deleteBeforeReplace: true,
    });
    this.registerOutputs({ container: this.container.name });
  }
}
