/**
 * The whole fleet, from the host plans alone: each host's state (./host.ts), every planned
 * container, the cross-host order the plans' typed prerequisites ask for (the broker first, the
 * config source before the mirrors' sync), and the health gates.
 */
import * as pulumi from "@pulumi/pulumi";
import { HealthGate, type HostConnection, type HostConnectionInputs } from "../host/resources";
import { connectionInput } from "../host/resources/resource-support";
import type { HostPlan, Prerequisite } from "../render/plan";
import { sha256 } from "../render/secrets";
import { Container } from "./container";
import { gatedPlan, hostGateScript } from "./health-gates";
import { Host } from "./host";
import { RegistrationWindow } from "./registration-window";
import { convergeOrder, hostsWaitedFor, plansByHost, prerequisiteProblem } from "./order";
import type { SecretValues } from "./secrets";

export interface FleetArgs {
  plans: HostPlan[];
  secrets: SecretValues;
  /** The SSH private key every host accepts, as a secret; absent: the ssh-agent. */
  privateKey?: pulumi.Output<string>;
}

const FLEET_TYPE = "lyra-fleet:fleet:Fleet";

/**
 * How many hosts (then gates) are declared in one turn of the event loop. The SDK sends a
 * registration only when the program lets it run: declared all at once, a 1000-mirror fleet's
 * registrations all waited for the last host, holding every host's items text at once, while the
 * engine and the dynamic provider had nothing to do. In turns, the engine checks the first hosts
 * while the program declares the rest, and each host's text is let go once sent.
 */
const HOSTS_PER_TURN = 50;

/**
 * How many of the fleet's registrations may be unanswered when a turn starts
 * (./registration-window.ts): a 100-mirror fleet's hosts and gates. Measured on the real preview of
 * 1000 mirrors (bench/cli-preview.ts, two runs each), windows of 100 and 200 measured the same; 200
 * took the program's peak from 573-591 MB to 495 MB, and its CPU from 7.9 to 7.3 s.
 */
const UNANSWERED_LIMIT = 200;

/** Lets the event loop run: the SDK serializes and sends what was declared so far. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Fleet extends pulumi.ComponentResource {
  // No prototype: a host may be called `constructor`, and a lookup must find only what was declared.
  readonly hosts: Record<string, Host> = Object.create(null) as Record<string, Host>;
  /** Every planned container, by "<host>/<name>". */
  readonly containers: Record<string, Container> = Object.create(null) as Record<string, Container>;
  /**
   * Settles once every resource of the fleet is declared, in turns (see HOSTS_PER_TURN); rejects
   * with the error that stopped it. The program exports it, so the runner waits for it.
   */
  readonly declared: Promise<void>;

  constructor(name: string, args: FleetArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(FLEET_TYPE, name, {}, opts);
    // Nothing below keeps `args` or the plans array: each host's plan is let go once the host's
    // resources are declared (a gate of its own keeps its script and a hash), so a large fleet does
    // not hold every host's files (at 1000 mirrors, 53 MB of the program's heap) until its last
    // registration.
    const { secrets, privateKey } = args;
    const planByHost = plansByHost(args.plans);
    // Before any resource: a prerequisite no plan declares is a bug in a renderer.
    for (const plan of args.plans) {
      for (const unit of plan.units) {
        for (const prerequisite of unit.after) {
          const problem = prerequisiteProblem(prerequisite, planByHost);
          if (problem)
            throw new Error(
              `Fleet: unit ${unit.name} on host '${plan.host}' waits for ${prerequisite.label}, but ${problem}`,
            );
        }
      }
    }
    const order = convergeOrder(args.plans);
    /** The hosts whose resources other hosts wait for (the broker's, the config source's). */
    const waitedFor = new Set(args.plans.flatMap(hostsWaitedFor));
    const roundTrips = args.plans.flatMap((plan) =>
      plan.mqttRoundTrips.map((roundTrip) => ({ host: plan.host, roundTrip })),
    );
    // One connection input per host, shared by its state and its gates: each costs the SDK a tree
    // of outputs, and a fleet of 1000 mirrors had 2000 more than it needs. Made with the host; its
    // containers take the plain connection, used only while the host is declared.
    const connections = new Map<string, pulumi.Output<HostConnection>>();
    const plainConnection = (plan: HostPlan): HostConnectionInputs => {
      const { address, port, user, hostKey, connectTimeoutMs } = plan.connection;
      return { host: plan.host, address, port, user, hostKey, privateKey, connectTimeoutMs };
    };
    /**
     * What a host's gate resource needs of its plan, kept when the plan is let go: for a host with
     * containers or one other hosts wait for. Any other runs its gate in its state's apply.
     */
    const gates = new Map<string, { script: string; planHash: string }>();
    /** The resource standing for a prerequisite on another host, once declared. */
    const resourceOf = (p: Prerequisite): pulumi.Resource | undefined =>
      p.kind === "container" ? this.containers[`${p.host}/${p.container}`] : this.hosts[p.host]?.state;
    // The broker: on the host whose plan has the MQTT round trip. Every other host's services are
    // its clients (health, heartbeats, registrations): a change on the broker's host (a repaired
    // config, a restarted broker) checks them all again.
    const brokerHostName = roundTrips[0]?.host;
    /** The broker's host's state, and the resource standing for what the round trip waits for. */
    const brokerOf = (): { host: Host; broker: pulumi.Resource } | undefined => {
      const host = brokerHostName === undefined ? undefined : this.hosts[brokerHostName];
      return host && { host, broker: resourceOf(roundTrips[0].roundTrip.after) ?? host.state };
    };

    const registrations = new RegistrationWindow(UNANSWERED_LIMIT);
    this.declared = this.inTurns(registrations, async (turn) => {
      for (const hostName of order) {
        await turn();
        const plan = planByHost.get(hostName)!;
        planByHost.delete(hostName);
        const connection = plainConnection(plan);
        connections.set(hostName, connectionInput(connection));
        // What this host's units wait for on other hosts (the order among its own units is in its
        // plan). A container on the unit's own host comes after the host (it mounts the host's
        // config), so its units cannot wait for it: they are clients that retry, as they must across
        // every broker restart anyway.
        const dependsOn = new Set<pulumi.Resource>();
        for (const prerequisite of plan.units.flatMap((u) => u.after)) {
          if (prerequisite.host === hostName) continue;
          const resource = resourceOf(prerequisite);
          if (resource) dependsOn.add(resource);
        }
        const script = hostGateScript(plan);
        const planHash = sha256(JSON.stringify(gatedPlan(plan)));
        // The host's gate runs in its state's apply when the state is everything the host has (no
        // container comes after it), no other host waits for it (they would wait for its gate too:
        // with vega's gate in its state, the lab's first converge took 85 s, and 63 s with it
        // apart, single runs), and what it waits for is declared. So a mirror is one registration,
        // not two (at 1000 mirrors the second cost more than a second under the real engine,
        // bench/cli-preview.ts). Besides every change of the host, it runs again when the plan
        // changes, and after every apply that changed the broker's host.
        const brokerClient = brokerHostName !== undefined && hostName !== brokerHostName;
        const broker = brokerClient ? brokerOf() : undefined;
        const ownGate =
          plan.containers.length === 0 && !waitedFor.has(hostName) && (!brokerClient || broker !== undefined);
        if (broker) dependsOn.add(broker.broker);
        const host = new Host(
          hostName,
          {
            plan,
            connection: connections.get(hostName)!,
            secrets,
            dependsOn: [...dependsOn],
            ...(ownGate && {
              gate: { script, triggers: [planHash, ...(broker ? [broker.host.state.converged] : [])] },
            }),
          },
          { parent: this, parentType: FLEET_TYPE },
        );
        this.hosts[hostName] = host;
        registrations.add(host.state);
        for (const spec of plan.containers) {
          const container = new Container(
            `${hostName}:${spec.name}`,
            { container: spec, connection, host },
            { parent: this, dependsOn: [host.state] },
          );
          this.containers[`${hostName}/${spec.name}`] = container;
          registrations.add(container);
        }
        if (!ownGate) gates.set(hostName, { script, planHash });
      }

      // The gates that are resources of their own: after their hosts' states.
      const brokerNow = brokerOf();
      for (const [hostName, gate] of gates) {
        await turn();
        const host = this.hosts[hostName];
        const broker = hostName !== brokerHostName ? brokerNow : undefined;
        // Re-run when the plan or a secret in the host's files (through a hash) changes, and after
        // every apply that changed the host or the broker's host, a repair included (their states'
        // converged digests).
        const triggers = [
          gate.planHash,
          ...(host.secretFiles ? [host.secretFiles.apply((items) => sha256(JSON.stringify(items)))] : []),
          host.state.converged,
          ...(broker ? [broker.host.state.converged] : []),
        ];
        const healthGate = new HealthGate(
          `${hostName}:health-gate`,
          { connection: connections.get(hostName)!, label: "health", script: gate.script, triggers },
          { parent: this, dependsOn: broker ? [host.state, broker.broker] : [host.state] },
        );
        registrations.add(healthGate);
      }
      for (const { host, roundTrip } of roundTrips) {
        const after = resourceOf(roundTrip.after) ?? this.hosts[host].state;
        // The broker's module wrote the check; the password goes on stdin, never into the script.
        new HealthGate(
          `${host}:${roundTrip.name}`,
          {
            connection: connections.get(host)!,
            label: roundTrip.name,
            script: roundTrip.script,
            stdin: secrets[roundTrip.passwordKey].apply((password) => `${password}\n`),
            // Again after every apply that changed the broker's host, and whenever the broker
            // container is a new one (a new image replaces it; its ID changes).
            triggers: [
              after.urn,
              this.hosts[host].state.converged,
              ...(after instanceof Container ? [after.container.id] : []),
            ],
          },
          { parent: this, dependsOn: [after] },
        );
      }
      this.registerOutputs({ hosts: Object.keys(this.hosts) });
    });
  }

  /**
   * Runs `declare`, which calls `turn()` before each host or gate: every HOSTS_PER_TURN, a turn
   * passes, and the next one starts once the window of unanswered registrations has room.
   */
  private async inTurns(
    registrations: RegistrationWindow,
    declare: (turn: () => Promise<void>) => Promise<void>,
  ): Promise<void> {
    let declared = 0;
    await declare(async () => {
      if (++declared % HOSTS_PER_TURN !== 0) return;
      await nextTurn();
      await registrations.room();
    });
  }
}
