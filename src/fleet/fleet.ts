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
import { convergeOrder, plansByHost, prerequisiteProblem } from "./order";
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
  readonly hosts: Record<string, Host> = {};
  /** Every planned container, by "<host>/<name>". */
  readonly containers: Record<string, Container> = {};
  /**
   * Settles once every resource of the fleet is declared, in turns (see HOSTS_PER_TURN); rejects
   * with the error that stopped it. The program exports it, so the runner waits for it.
   */
  readonly declared: Promise<void>;

  constructor(name: string, args: FleetArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(FLEET_TYPE, name, {}, opts);
    // Nothing below keeps `args` or the plans array: each host's plan is let go once the host's
    // resources are declared (its gate keeps its script and a hash), so a large fleet does not hold
    // every host's files (at 1000 mirrors, 53 MB of the program's heap) until its last registration.
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
    /** What each host's gate needs of its plan, kept when the plan is let go. */
    const gates = new Map<string, { script: string; planHash: string }>();

    const registrations = new RegistrationWindow(UNANSWERED_LIMIT);
    this.declared = this.inTurns(registrations, async (turn) => {
      /** The resource standing for a prerequisite on another host, once declared. */
      const resourceOf = (p: Prerequisite): pulumi.Resource | undefined =>
        p.kind === "container" ? this.containers[`${p.host}/${p.container}`] : this.hosts[p.host]?.state;

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
        const host = new Host(
          hostName,
          { plan, connection: connections.get(hostName)!, secrets, dependsOn: [...dependsOn] },
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
        gates.set(hostName, { script: hostGateScript(plan), planHash: sha256(JSON.stringify(gatedPlan(plan))) });
      }

      // The broker: on the host whose plan has the MQTT round trip, standing for what that waits for.
      const brokerHost = roundTrips.length > 0 ? this.hosts[roundTrips[0].host] : undefined;
      const broker = brokerHost ? (resourceOf(roundTrips[0].roundTrip.after) ?? brokerHost.state) : undefined;
      // Every host's services are clients of the broker (health, heartbeats, registrations): a
      // change on the broker's host (a repaired config, a restarted broker) checks them all again.
      for (const [hostName, gate] of gates) {
        await turn();
        const host = this.hosts[hostName];
        const brokerClient = broker !== undefined && brokerHost !== undefined && host !== brokerHost;
        // Re-run when the plan or a secret in the host's files (through a hash) changes, and after
        // every apply that changed the host or the broker's host, a repair included (their states'
        // converged digests).
        const triggers = [
          gate.planHash,
          ...(host.secretFiles ? [host.secretFiles.apply((items) => sha256(JSON.stringify(items)))] : []),
          host.state.converged,
          ...(brokerClient ? [brokerHost.state.converged] : []),
        ];
        const healthGate = new HealthGate(
          `${hostName}:health-gate`,
          { connection: connections.get(hostName)!, label: "health", script: gate.script, triggers },
          { parent: this, dependsOn: brokerClient ? [host.state, broker] : [host.state] },
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
