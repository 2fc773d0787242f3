/**
 * The whole fleet: one Host component per host, the broker container where Docker runs it, the
 * cross-host order (broker first, config source before the mirrors' sync) and the health gates.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostConnectionInputs } from "../host/resources";
import type { Fleet as FleetModel } from "../model/fleet";
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
      const host = new Host(
        hostName,
        {
          plan,
          connection: connectionOf(hostName),
          secrets,
          externalDependencies: (unitName) => {
            const unit = plan.units.find((u) => u.name === unitName)!;
            const wants = prerequisites(unit);
            const deps: pulumi.Resource[] = [];
            if (wants.broker && brokerDependency) deps.push(brokerDependency);
            // The whole source host: its tree, the sync account and its key.
            if (wants.configSource && configSource) deps.push(configSource);
            for (const ref of wants.units) {
              const other = this.hosts[ref.host]?.units[ref.unit];
              if (other) deps.push(other);
            }
            return deps;
          },
        },
        { parent: this },
      );
      this.hosts[hostName] = host;
      if (hostName === model.broker.host) {
        const spec = plan.containers.find((c) => c.name === "mqtt-broker");
        brokerDependency =
          broker.kind === "container" && spec
            ? new BrokerContainer(`${hostName}:mqtt-broker`, { container: spec, connection: connectionOf(hostName), files: host.files }, { parent: this, dependsOn: [host] })
            : host.units[broker.name];
        if (!brokerDependency) throw new Error(`Fleet: broker host '${hostName}' declares no ${broker.kind} ${broker.name}`);
      }
      if (hostName === model.configSource.host) configSource = host;
    }
    this.broker = brokerDependency!;

    for (const hostName of order) {
      const host = this.hosts[hostName];
      const converged = [...Object.values(host.units), ...Object.values(host.files)];
      // Re-run when the plan or any file's content (secrets included, through their hashes) changes.
      const triggers = [sha256(JSON.stringify(planOf(hostName))), ...Object.values(host.files).map((f) => f.sha256)];
      healthGate(`${hostName}:health-gate`, { plan: planOf(hostName), connection: connectionOf(hostName), triggers }, { parent: this, dependsOn: converged });
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
