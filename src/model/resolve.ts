/**
 * From the parsed stack object to the resolved FleetModel: role presets plus per-host overrides, the
 * implicit MQTT users, and every rule that spans fields. All problems are collected, not the first.
 */
import { z } from "zod";
import type { ArtifactPin } from "./artifacts";
import {
  checkArtifactBuilds,
  checkFleetSettings,
  checkFqdn,
  checkOnePerFleet,
  checkPorts,
  checkServices,
} from "./crosscheck";
import type { FleetModel, Host, MqttUser } from "./fleet";
import { expectedFor, toModelIssues, type ModelIssue } from "./issues";
import type { FleetParsed } from "./schema";
import { mqttUserSchema } from "./schema";
import { serviceModules } from "../services/registry";
import { backupNasIssues } from "../services/backup/settings";
import { healthTopic } from "./topics";
import { inRolePreset, serviceIds, serviceSchemas, type ServiceSettings } from "./services";

export type { ModelIssue } from "./issues";

function resolveServices(
  name: string,
  parsed: FleetParsed["hosts"][string],
  issues: ModelIssue[],
): Partial<ServiceSettings> {
  const overrides = parsed.services as Record<string, Record<string, unknown> | undefined>;
  const resolved: Record<string, unknown> = {};
  const schemas = serviceSchemas();
  for (const id of serviceIds()) {
    const override = overrides[id];
    const inPreset = inRolePreset(parsed.role, id);
    if (!inPreset && override === undefined) continue;
    const result = schemas[id].safeParse(override ?? {}, { error: expectedFor });
    if (!result.success) {
      issues.push(...toModelIssues(result.error, override ?? {}, ["hosts", name, "services", id]));
      continue;
    }
    if (result.data.enabled) resolved[id] = result.data;
  }
  return resolved as Partial<ServiceSettings>;
}

/**
 * The implicit MQTT users and what each may do, from the services each host runs (not its role),
 * so a service placed on any host brings the ACL entries it needs (its module's `mqtt`).
 */
type ImplicitUser = z.output<typeof mqttUserSchema> & Pick<MqttUser, "service" | "operator">;

function implicitMqttUsers(hosts: Host[]): Record<string, ImplicitUser> {
  const users: Record<string, ImplicitUser> = {};
  const modules = serviceModules();
  for (const host of hosts) {
    // A host may publish only its own health; its services add what they need, each topic naming the host.
    const publish = [healthTopic(host.name)];
    const subscribe: string[] = [];
    for (const module of modules) {
      if (!module.mqtt?.hostAccess || !(host.services as Record<string, unknown>)[module.id]) continue;
      const access = module.mqtt.hostAccess(host);
      publish.push(...access.publish);
      subscribe.push(...access.subscribe);
    }
    users[host.name] = { publish, subscribe };
  }
  for (const module of modules) {
    if (!module.mqtt?.users || !hosts.some((h) => (h.services as Record<string, unknown>)[module.id])) continue;
    for (const [name, access] of Object.entries(module.mqtt.users))
      users[name] = {
        publish: [...access.publish],
        subscribe: [...access.subscribe],
        service: module.id,
        ...(access.operator ? { operator: true as const } : {}),
      };
  }
  return users;
}

function checkUniqueAddresses(hosts: Host[], issues: ModelIssue[]): void {
  const seen = new Map<string, string>();
  for (const host of hosts) {
    const key = `${host.address.toLowerCase()}:${host.ssh.port}`;
    const other = seen.get(key);
    if (other)
      issues.push({
        path: `hosts.${host.name}.address`,
        message: `address ${host.address} port ${host.ssh.port} is already used by host '${other}'`,
      });
    else seen.set(key, host.name);
  }
}

/** Resolve and cross-check; returns the FleetModel or every problem found. */
export function resolveFleet(parsed: FleetParsed, source: string): { fleet?: FleetModel; issues: ModelIssue[] } {
  const issues: ModelIssue[] = [];
  const hosts: Host[] = Object.keys(parsed.hosts)
    .sort()
    .map((name) => {
      const h = parsed.hosts[name];
      return {
        name,
        address: h.address,
        fqdn: `${name}.${parsed.site.domain}`,
        role: h.role,
        arch: h.arch,
        ssh: h.ssh,
        services: resolveServices(name, h, issues),
      };
    });
  checkUniqueAddresses(hosts, issues);
  for (const host of hosts) {
    checkFqdn(host, issues);
    checkPorts(host, issues);
    checkServices(host, issues);
  }
  checkFleetSettings(hosts, issues);
  checkOnePerFleet(hosts, issues);
  checkArtifactBuilds(hosts, parsed.artifacts as Record<string, ArtifactPin>, issues);
  issues.push(...backupNasIssues(parsed.backup, parsed.site.nas));

  const implicit = implicitMqttUsers(hosts);
  for (const name of Object.keys(parsed.mqtt.users)) {
    if (Object.hasOwn(implicit, name))
      issues.push({
        path: `mqtt.users.${name}`,
        message: `user '${name}' is implicit (a host or a built-in service user); choose another name`,
      });
  }
  const mqttUsers: MqttUser[] = Object.entries<ImplicitUser>({
    ...parsed.mqtt.users,
    ...implicit,
  })
    .map(([name, u]) => ({
      name,
      publish: [...u.publish],
      subscribe: [...u.subscribe],
      ...(u.service ? { service: u.service } : {}),
      ...(u.operator ? { operator: u.operator } : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));

  if (issues.length > 0) return { issues };
  return {
    issues,
    fleet: {
      source,
      site: parsed.site,
      hosts,
      // The schema requires every key the registered modules pin, so each built-in key is there.
      versions: parsed.versions as FleetModel["versions"],
      images: parsed.images as FleetModel["images"],
      artifacts: parsed.artifacts as FleetModel["artifacts"],
      mqttUsers,
      ...(parsed.backup ? { backup: parsed.backup } : {}),
    },
  };
}
