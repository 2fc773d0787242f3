/**
 * Where verify reaches each check. Checks name hosts by their fqdn (how the hosts reach each other),
 * but the operator's machine reaches a host at its stack `address` (the lab's are loopback
 * addresses that forward the service ports), so URLs are rewritten to the address and the output
 * says so.
 */
import type { FleetModel, Host } from "../model/fleet";
import type { HostPlan } from "../render/plan";
import type { VerifyCheck } from "./types";
import { brokerOf } from "../services/mqtt-broker/placement";

const loopbackNames = new Set(["localhost", "127.0.0.1", "[::1]"]);

function hostNamed(fleet: FleetModel, name: string): Host | undefined {
  const n = name.toLowerCase();
  return fleet.hosts.find((h) => h.fqdn.toLowerCase() === n || h.name === n);
}

/** The URL as the operator's machine reaches it: a fleet host's fqdn (or localhost) -> its address. */
export function reachableUrl(fleet: FleetModel, planHost: string, url: string): string {
  const parsed = new URL(url);
  const target = loopbackNames.has(parsed.hostname) ? hostNamed(fleet, planHost) : hostNamed(fleet, parsed.hostname);
  if (target) parsed.hostname = target.address;
  return parsed.toString();
}

/** "lyra.home.arpa -> 127.0.0.11" for every host whose address differs from its fqdn. */
export function addressMap(fleet: FleetModel): { host: string; fqdn: string; address: string }[] {
  return fleet.hosts
    .filter((h) => h.address !== h.fqdn)
    .map((h) => ({ host: h.name, fqdn: h.fqdn, address: h.address }));
}

export function brokerEndpoint(fleet: FleetModel): { host: string; address: string; port: number } {
  const host = fleet.hosts.find((h) => h.name === brokerOf(fleet).host);
  if (!host) throw new Error(`internal: broker host '${brokerOf(fleet).host}' is not in the fleet`);
  return { host: host.name, address: host.address, port: brokerOf(fleet).port };
}

function via(fleet: FleetModel, plan: HostPlan, check: VerifyCheck["check"]): string {
  switch (check.kind) {
    case "http":
      return `GET ${reachableUrl(fleet, plan.host, check.url)}`;
    case "mqtt-roundtrip":
    case "mqtt-fresh":
    case "mqtt-registered": {
      const b = brokerEndpoint(fleet);
      return `mqtt ${b.address}:${b.port} ${check.topic}`;
    }
    default: {
      const host = fleet.hosts.find((h) => h.name === plan.host)!;
      return `ssh ${host.ssh.user}@${host.address}:${host.ssh.port}`;
    }
  }
}

/** Every check of every plan, in plan order: exactly what the docs list, nothing added. */
export function plannedChecks(fleet: FleetModel, plans: readonly HostPlan[]): VerifyCheck[] {
  return plans.flatMap((plan) =>
    plan.checks.map((check) => ({ host: plan.host, check, via: via(fleet, plan, check) })),
  );
}

/** Check kinds, and the groups an operator may name with --only. */
export const kindGroups: Record<string, readonly VerifyCheck["check"]["kind"][]> = {
  http: ["http"],
  unit: ["unit"],
  container: ["container"],
  command: ["command"],
  "mqtt-roundtrip": ["mqtt-roundtrip"],
  "mqtt-fresh": ["mqtt-fresh"],
  "mqtt-registered": ["mqtt-registered"],
  mqtt: ["mqtt-roundtrip", "mqtt-fresh", "mqtt-registered"],
  ssh: ["unit", "container", "command"],
};

export const sshKinds = new Set<string>(kindGroups.ssh);
export const mqttKinds = new Set<string>(kindGroups.mqtt);
