/**
 * Rules that span fields: what listens on each host, and the service modules' own rules on where
 * they may be placed and which settings must agree. Each problem names the field to change.
 */
import { architectures, buildFor, type ArtifactPin } from "./artifacts";
import type { Host } from "./fleet";
import type { ModelIssue } from "./issues";
import { maxDnsName } from "./network";
import { serviceModules } from "../services/registry";
import type { Listener } from "../services/module";
import { servicePorts, type ServiceId, type ServiceSettings } from "./services";

/** Every listener on a host: sshd, the packaged daemons the services bring, and the services' own ports. */
export function hostListeners(host: Host): Listener[] {
  const at = `hosts.${host.name}`;
  const listeners: Listener[] = [{ port: host.ssh.port, protocol: "tcp", owner: "sshd", field: `${at}.ssh.port` }];
  const settings = host.services as Record<string, unknown>;
  for (const module of serviceModules()) {
    if (module.listeners && settings[module.id] !== undefined)
      listeners.push(...module.listeners(settings[module.id] as never, host));
  }
  for (const [id, settings] of Object.entries(host.services) as [ServiceId, ServiceSettings[ServiceId]][]) {
    for (const [key, port] of Object.entries(servicePorts(settings))) {
      listeners.push({ port, protocol: "tcp", owner: id, field: `${at}.services.${id}.${key}` });
    }
  }
  return listeners;
}

/** One listener per port and protocol on a host. */
export function checkPorts(host: Host, issues: ModelIssue[]): void {
  const owners = new Map<string, Listener>();
  for (const listener of hostListeners(host)) {
    const key = `${listener.port}/${listener.protocol}`;
    const owner = owners.get(key);
    if (!owner) owners.set(key, listener);
    else
      issues.push({
        path: listener.field,
        message: `expected a free port; ${listener.port} is already used on this host by ${owner.owner} (${owner.field})`,
      });
  }
}

/** `<host>.<domain>` is how the other hosts reach it: a DNS name of at most 253 characters. */
export function checkFqdn(host: Host, issues: ModelIssue[]): void {
  if (host.fqdn.length > maxDnsName) {
    issues.push({
      path: `hosts.${host.name}`,
      message: `expected a host name that makes, with site.domain, a DNS name of at most ${maxDnsName} characters; ${host.name}.<domain> has ${host.fqdn.length}`,
    });
  }
}

/** Each placed service's own rules: where it may run, and which of its settings must agree. */
export function checkServices(host: Host, issues: ModelIssue[]): void {
  const settings = host.services as Record<string, unknown>;
  for (const module of serviceModules()) {
    if (module.checkHost && settings[module.id] !== undefined)
      issues.push(...module.checkHost(settings[module.id] as never, host));
  }
}

/** Rules across hosts, from the modules some host runs. */
export function checkFleetSettings(hosts: Host[], issues: ModelIssue[]): void {
  for (const module of serviceModules()) {
    if (module.checkFleet && hosts.some((h) => (h.services as Record<string, unknown>)[module.id] !== undefined))
      issues.push(...module.checkFleet(hosts));
  }
}

/** Services the fleet needs exactly one of (the broker, the config source): named on `hosts`. */
export function checkOnePerFleet(hosts: Host[], issues: ModelIssue[]): void {
  for (const module of serviceModules()) {
    if (!module.onePerFleet) continue;
    const running = hosts.filter((h) => (h.services as Record<string, unknown>)[module.id] !== undefined);
    if (running.length === 1) continue;
    const place =
      module.roles.length > 0
        ? `give a host the ${module.roles.join(" or ")} role or add \`${module.id}: {}\` to its services`
        : `add \`${module.id}: {}\` to a host's services`;
    issues.push({
      path: "hosts",
      message:
        running.length === 0
          ? `expected exactly one host running ${module.id}, found none (${place})`
          : `expected exactly one host running ${module.id}, found ${running.length}: ${running.map((h) => h.name).join(", ")}`,
    });
  }
}

/** Every host gets a build of each release artifact its services install, for its architecture. */
export function checkArtifactBuilds(hosts: Host[], pins: Record<string, ArtifactPin>, issues: ModelIssue[]): void {
  for (const module of serviceModules()) {
    for (const key of module.artifacts ?? []) {
      const pin = pins[key];
      if (pin === undefined) continue; // the schema already named the missing pin
      for (const host of hosts) {
        if ((host.services as Record<string, unknown>)[module.id] === undefined || buildFor(pin, host.arch)) continue;
        const pinned = architectures.filter((arch) => buildFor(pin, arch));
        issues.push({
          path: `artifacts.${key}.${host.arch}`,
          message: `expected an ${host.arch} build of ${key}: host '${host.name}' (arch: ${host.arch}) runs ${module.id}, and only ${pinned.join(", ")} is pinned; add ${host.arch}: { sha256, file, upstream (optional) }`,
        });
      }
    }
  }
}
