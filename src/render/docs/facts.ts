/**
 * Facts about the fleet that several pages state: the stack, the hub, the power-on order, how to
 * reach a host. Derived from the model in one place so two pages can never tell different stories.
 */
import type { FleetModel, Host } from "../../model/fleet";
import { sshPrivateKeySecret } from "../../model/fleet";
import type { HostPlan } from "../plan";

/** The stack name, from the stack file the fleet was loaded from (`stacks/Pulumi.home.yaml` -> home). */
export function stackName(fleet: FleetModel): string {
  return /(?:^|\/)Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(fleet.source)?.[1] ?? "<stack>";
}

export function stackFile(fleet: FleetModel): string {
  const stack = stackName(fleet);
  return stack === "<stack>" ? "stacks/Pulumi.<stack>.yaml" : `stacks/Pulumi.${stack}.yaml`;
}

export function pulumiUp(fleet: FleetModel): string {
  return `pulumi up --stack ${stackName(fleet)}`;
}

/**
 * The runbook's verification (src/cli/verify.ts), run from a checkout of this project. It runs
 * the checks of the same host plans the site lists, so the site and the command agree.
 */
export function verifyCommand(fleet: FleetModel, options = ""): string {
  return `npm run verify -- --stack ${stackName(fleet)}${options ? ` ${options}` : ""}`;
}

/** The host the operator's SSH commands go to, as `user@address`, plus `-p` when not port 22. */
export function sshTarget(host: Host): { target: string; portFlag: string } {
  return { target: `${host.ssh.user}@${host.address}`, portFlag: host.ssh.port === 22 ? "" : ` -p ${host.ssh.port}` };
}

/** `ssh user@address 'command'`, quoted for a POSIX shell. */
export function sshCommand(host: Host, command: string): string {
  const { target, portFlag } = sshTarget(host);
  return `ssh${portFlag} ${target} '${command.replace(/'/g, `'\\''`)}'`;
}

/**
 * {@link sshCommand} run as root: through `sudo` when the host's SSH user is not root (a mirror's
 * `deploy`), since what the docs run that way (a restore, a root-only log) needs root.
 */
export function sshAsRoot(host: Host, command: string): string {
  return sshCommand(host, host.ssh.user === "root" ? command : `sudo ${command}`);
}

/** The stack secret whose public half must be in every host's authorized_keys. */
export const operatorKeySecret = sshPrivateKeySecret;

/** The hub: the hosts whose services serve the whole fleet (broker, config source, metrics), by name. */
export function hubOf(fleet: FleetModel, plans: readonly HostPlan[]): Host[] {
  return fleet.hosts.filter((h) => (planOf(plans, h.name)?.serves.length ?? 0) > 0);
}

/**
 * The power-on order of the runbook: what the others need first (the roles whose services say
 * `powerFirst`: broker and config source, on Vega), then the other servers (Lyra), then the
 * mirrors, which only reconnect and resync.
 */
export function powerStages(
  fleet: FleetModel,
  plans: readonly HostPlan[],
): { label: string; why: string; hosts: Host[] }[] {
  const needed = plans.flatMap((p) =>
    p.serves.flatMap((r) => (r.powerFirst ? [{ host: p.host, ...r.powerFirst }] : [])),
  );
  // Sorted by name, so the label reads the same whatever order the services render in.
  needed.sort((a, b) => a.name.localeCompare(b.name));
  const first = fleet.hosts.filter((h) => needed.some((n) => n.host === h.name));
  const rest = fleet.hosts.filter((h) => !first.includes(h));
  const stages = [
    {
      label: [...new Set(needed.map((n) => n.name))].join(" and "),
      why: [...new Set(needed.map((n) => n.why))].join("; "),
      hosts: first,
    },
    {
      label: "servers",
      why: "they need the broker; the mirrors need them",
      hosts: rest.filter((h) => h.role !== "mirror"),
    },
    {
      label: "mirrors",
      why: "they reconnect to the broker and resync their config on their own",
      hosts: rest.filter((h) => h.role === "mirror"),
    },
  ];
  return stages.filter((s) => s.hosts.length > 0);
}

/**
 * The fleet's MQTT broker, as its plan declares it (`serves` with `mqttBroker`): the host, the
 * port, the user its checks log in as and the command that lists the clients' registrations.
 */
export function brokerIn(plans: readonly HostPlan[]): {
  host: string;
  port: number;
  endpoint: string;
  user: string;
  watchRegistrations?: string;
} {
  for (const plan of plans) {
    for (const role of plan.serves) {
      if (role.mqttBroker)
        return { host: plan.host, endpoint: `${plan.host}:${role.mqttBroker.port}`, ...role.mqttBroker };
    }
  }
  throw new Error("internal: no host plan serves the fleet's MQTT broker");
}

/** Hosts rebuilt by re-flashing: the mirrors. */
export function mirrorHosts(fleet: FleetModel): Host[] {
  return fleet.hosts.filter((h) => h.role === "mirror");
}

export function planOf(plans: readonly HostPlan[], host: string): HostPlan | undefined {
  let byHost = planIndexes.get(plans);
  if (byHost === undefined) planIndexes.set(plans, (byHost = new Map(plans.map((p) => [p.host, p]))));
  return byHost.get(host);
}

/**
 * Each plan list's plans by host, made on the first look-up: the pages look up every host, and a
 * scan of the list per look-up made the docs quadratic in the fleet's size. (Plans are not changed
 * once made; a list is one fleet's.)
 */
const planIndexes = new WeakMap<readonly HostPlan[], ReadonlyMap<string, HostPlan>>();

/** Port strings of a plan, e.g. "1883/tcp", optionally only one service's. */
export function portsOf(plan: HostPlan | undefined, service?: string): string[] {
  return (plan?.ports ?? [])
    .filter((p) => service === undefined || p.service === service)
    .map((p) => `${p.port}/${p.protocol}`);
}
