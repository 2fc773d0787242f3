/**
 * The whole fleet: one Host component per host, the broker container where Docker runs it, the
 * cross-host order (broker first, config source before the mirrors' sync) and the health gates.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostConnectionInputs } from "../host/resources";
import type { FleetModel } from "../model/fleet";
import { secretKeys } from "../model/fleet";
import type { HostPlan } from "../render/plan";
import { sha256 } from "../render/secrets";
import { BrokerContainer } from "./broker-container";
import { healthGate } from "./health-gates";
import { Host } from "./host";
import { mqttGate } from "./mqtt-gate";
import { brokerResource, prerequisites } from "./order";
import type { SecretValues } from "./secrets";

export interface FleetArgs {
  model: FleetModel;
  plans: HostPlan[];
  secrets: SecretValues;
  /** The SSH private key every host accepts, as a secret; absent: the ssh-agent. */
  privateKey?: pulumi.Output<string>;
}

export class Fleet extends pulumi.ComponentResource {
  readonly hosts: Record<string, Host> = {};
  readonly broker: pulumi.Resource;

  constructor(name: string, args: FleetArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("lyra-fleet:fleet:Fleet", name, {}, opts);
    const { model, plans, secrets } = args;
    const connectionOf = (host: string): HostConnectionInputs => {
      const h = model.hosts.find((x) => x.name === host)!;
      return { host: h.name, address: h.address, port: h.ssh.port, user: h.ssh.user, hostKey: h.ssh.hostKey, privateKey: args.privateKey };
    };
    const planOf = (host: string) => plans.find((p) => p.host === host)!;
    const broker = brokerResource(model);

    // The broker host and the config source host first: the others wait for them.
    const first = [...new Set([model.broker.host, model.configSource.host])];
    const order = [...first, ...model.hosts.map((h) => h.name).filter((n) => !first.includes(n))];
    let brokerDependency: pulumi.Resource | undefined;
    let configSource: Host | undefined;

    for (const hostName of order) {
      const plan = planOf(hostName);
      // What this host's units wait for: resources on other hosts, and further units of this host
      // (the broker, when it runs here under systemd). On the broker's own host in docker mode the
      // container comes after the host (it mounts the host's config), so its units cannot wait
      // for it: they are clients that retry, as they must across every broker restart anyway.
      const dependsOn = new Set<pulumi.Resource>();
      const localPrerequisites: Record<string, string[]> = {};
      for (const unit of plan.units) {
        const wants = prerequisites(unit);
        if (wants.broker && brokerDependency) dependsOn.add(brokerDependency);
        // The whole source host: its tree, the sync account and its key.
        if (wants.configSource && configSource) dependsOn.add(configSource.state);
        for (const ref of wants.units) if (ref.host !== hostName && this.hosts[ref.host]) dependsOn.add(this.hosts[ref.host].state);
        const local = wants.units.filter((ref) => ref.host === hostName).map((ref) => ref.unit);
        if (wants.broker && broker.kind === "unit" && broker.host === hostName) local.push(broker.name);
        localPrerequisites[unit.name] = local;
      }
      const host = new Host(
        hostName,
        { plan, connection: connectionOf(hostName), secrets, dependsOn: [...dependsOn], localPrerequisites },
        { parent: this },
      );
      this.hosts[hostName] = host;
      if (hostName === model.broker.host) {
        const spec = plan.containers.find((c) => c.name === "mqtt-broker");
        if (broker.kind === "container" && !spec) throw new Error(`Fleet: broker host '${hostName}' declares no container mqtt-broker`);
        if (broker.kind === "unit" && !plan.units.some((u) => u.name === broker.name)) throw new Error(`Fleet: broker host '${hostName}' declares no unit ${broker.name}`);
        brokerDependency =
          broker.kind === "container"
            ? new BrokerContainer(`${hostName}:mqtt-broker`, { container: spec!, connection: connectionOf(hostName), host }, { parent: this, dependsOn: [host] })
            : host.state;
      }
      if (hostName === model.configSource.host) configSource = host;
    }
    this.broker = brokerDependency!;

    for (const hostName of order) {
      const host = this.hosts[hostName];
      // Re-run when the plan or a secret in the host's files (through a hash) changes, and after
      // every apply that changed the host, a repair included (the state's converged digest).
      const triggers = [
        sha256(JSON.stringify(planOf(hostName))),
        ...(host.secretFiles ? [host.secretFiles.apply((items) => sha256(JSON.stringify(items)))] : []),
        host.state.converged,
      ];
      healthGate(`${hostName}:health-gate`, { plan: planOf(hostName), connection: connectionOf(hostName), triggers }, { parent: this, dependsOn: [host.state] });
    }
    const monitorPassword = secrets[secretKeys.mqttPassword("monitor")];
    mqttGate(
      `${model.broker.host}:mqtt-round-trip`,
      { connection: connectionOf(model.broker.host), port: model.broker.port, monitorPassword, triggers: [this.broker.urn] },
      { parent: this, dependsOn: [this.broker] },
    );
    this.registerOutputs({ hosts: Object.keys(this.hosts) });
  }
}
