/**
 * From the parsed stack object to the resolved FleetModel: role presets plus per-host overrides, the
 * implicit MQTT users, and every rule that spans fields. All problems are collected, not the first.
 */
import { z } from "zod";
import { checkFleetSettings, checkFqdn, checkHostSettings, checkPlacement, checkPorts } from "./crosscheck";
import type { FleetModel, Host, MqttUser } from "./fleet";
import { secretKeys } from "./fleet";
import { expectedFor, toModelIssues, type ModelIssue } from "./issues";
import type { FleetParsed } from "./schema";
import { mqttUserSchema } from "./schema";
import { healthTopic, presenceTopic, registrationTopic, registrationTopics } from "./topics";
import { rolePresets, serviceIds, serviceSchemas, type ServiceId, type ServiceSettings } from "./services";

export type { ModelIssue } from "./issues";

function resolveServices(name: string, parsed: FleetParsed["hosts"][string], issues: ModelIssue[]): Partial<ServiceSettings> {
  const overrides = parsed.services as Record<string, Record<string, unknown> | undefined>;
  const resolved: Record<string, unknown> = {};
  for (const id of serviceIds) {
    const override = overrides[id];
    const inPreset = rolePresets[parsed.role].includes(id);
    if (!inPreset && override === undefined) continue;
    const result = serviceSchemas[id].safeParse(override ?? {}, { error: expectedFor });
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
 * so a service placed on any host brings the ACL entries it needs.
 */
function implicitMqttUsers(hosts: Host[]): Record<string, z.output<typeof mqttUserSchema>> {
  const users: Record<string, z.output<typeof mqttUserSchema>> = {};
  for (const host of hosts) {
    // A host may publish only its own health; with mqtt-client, only its own presence and
    // registration (each topic names it), so no client can beat or register as another.
    const publish = [healthTopic(host.name)];
    const subscribe: string[] = [];
    if (host.services["mqtt-client"]) {
      publish.push(presenceTopic(host.name), registrationTopic(host.name));
      subscribe.push(registrationTopics);
    }
    if (host.services["lyra-client"]) subscribe.push(`lyra/mirrors/${host.name}/#`);
    users[host.name] = { publish, subscribe };
  }
  if (hosts.some((h) => h.services["lyra-orchestrator"])) users.orchestrator = { publish: ["lyra/#"], subscribe: ["lyra/#"] };
  if (hosts.some((h) => h.services.nodered)) users.nodered = { publish: ["lyra/status/#"], subscribe: ["lyra/#"] };
  // The verify command's user: the round trip on lyra/test and reading every health topic.
  users.monitor = { publish: ["lyra/test"], subscribe: ["lyra/#"] };
  return users;
}

function exactlyOne(hosts: Host[], service: ServiceId, issues: ModelIssue[]): Host | undefined {
  const running = hosts.filter((h) => h.services[service]);
  if (running.length === 1) return running[0];
  issues.push({
    path: "hosts",
    message:
      running.length === 0
        ? `expected exactly one host running ${service}, found none (give a host the vega role or add \`${service}: {}\` to its services)`
        : `expected exactly one host running ${service}, found ${running.length}: ${running.map((h) => h.name).join(", ")}`,
  });
  return undefined;
}

function checkUniqueAddresses(hosts: Host[], issues: ModelIssue[]): void {
  const seen = new Map<string, string>();
  for (const host of hosts) {
    const key = `${host.address.toLowerCase()}:${host.ssh.port}`;
    const other = seen.get(key);
    if (other) issues.push({ path: `hosts.${host.name}.address`, message: `address ${host.address} port ${host.ssh.port} is already used by host '${other}'` });
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
      return { name, address: h.address, fqdn: `${name}.${parsed.site.domain}`, role: h.role, ssh: h.ssh, services: resolveServices(name, h, issues) };
    });
  checkUniqueAddresses(hosts, issues);
  for (const host of hosts) {
    checkFqdn(host, issues);
    checkPorts(host, issues);
    checkPlacement(host, issues);
    checkHostSettings(host, issues);
  }
  checkFleetSettings(hosts, issues);
  const broker = exactlyOne(hosts, "mqtt-broker", issues);
  const configSource = exactlyOne(hosts, "config-source", issues);
  for (const host of hosts) {
    const source = host.services["config-sync"]?.source;
    if (source === undefined) continue;
    const target = hosts.find((h) => h.name === source);
    if (!target) issues.push({ path: `hosts.${host.name}.services.config-sync.source`, message: `expected the name of a host in this stack, got '${source}'` });
    else if (!target.services["config-source"]) issues.push({ path: `hosts.${host.name}.services.config-sync.source`, message: `host '${source}' does not run config-source` });
  }

  const implicit = implicitMqttUsers(hosts);
  for (const name of Object.keys(parsed.mqtt.users)) {
    if (implicit[name]) issues.push({ path: `mqtt.users.${name}`, message: `user '${name}' is implicit (a host or a built-in service user); choose another name` });
  }
  const mqttUsers: MqttUser[] = Object.entries({ ...parsed.mqtt.users, ...implicit })
    .map(([name, u]) => ({ name, publish: [...u.publish], subscribe: [...u.subscribe], passwordKey: secretKeys.mqttPassword(name) }))
    .sort((a, b) => a.name.localeCompare(b.name));

  if (issues.length > 0 || !broker || !configSource) return { issues };
  const brokerSettings = broker.services["mqtt-broker"]!;
  return {
    issues,
    fleet: {
      source,
      site: parsed.site,
      hosts,
      versions: parsed.versions,
      images: parsed.images,
      broker: { host: broker.name, port: brokerSettings.port, mode: brokerSettings.mode },
      configSource: { host: configSource.name, path: configSource.services["config-source"]!.path },
      mqttUsers,
    },
  };
}
