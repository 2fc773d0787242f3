/**
 * Rules that span fields: what listens on each host, where a service may be placed, and settings
 * that must agree with each other. Each problem names the field to change.
 */
import type { Host } from "./fleet";
import type { ModelIssue } from "./issues";
import { maxDnsName } from "./network";
import { isUnder } from "./paths";
import { servicePorts, type ServiceId, type ServiceSettings } from "./services";

/** upsd's port (src/services/ups/render.ts listens on it, on localhost, which still takes the port). */
export const upsdPort = 3493;
/** chronyd answers NTP on this UDP port when timesync serves the LAN. */
export const ntpPort = 123;

interface Listener {
  port: number;
  protocol: "tcp" | "udp";
  /** Who listens, as a user reads it: "sshd", "upsd (ups)", "mkdocs". */
  owner: string;
  /** The field that sets the port, or the service that brings the daemon. */
  field: string;
}

/** Every listener on a host: sshd, the packaged daemons the services bring, and the services' own ports. */
export function hostListeners(host: Host): Listener[] {
  const at = `hosts.${host.name}`;
  const listeners: Listener[] = [{ port: host.ssh.port, protocol: "tcp", owner: "sshd", field: `${at}.ssh.port` }];
  if (host.services.ups) listeners.push({ port: upsdPort, protocol: "tcp", owner: "upsd (ups)", field: `${at}.services.ups` });
  if (host.services.timesync?.serve) listeners.push({ port: ntpPort, protocol: "udp", owner: "chronyd (timesync)", field: `${at}.services.timesync.serve` });
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
    else issues.push({ path: listener.field, message: `expected a free port; ${listener.port} is already used on this host by ${owner.owner} (${owner.field})` });
  }
}

/** `<host>.<domain>` is how the other hosts reach it: a DNS name of at most 253 characters. */
export function checkFqdn(host: Host, issues: ModelIssue[]): void {
  if (host.fqdn.length > maxDnsName) {
    issues.push({ path: `hosts.${host.name}`, message: `expected a host name that makes, with site.domain, a DNS name of at most ${maxDnsName} characters; ${host.name}.<domain> has ${host.fqdn.length}` });
  }
}

/** A service is placed only where what it needs is there. */
export function checkPlacement(host: Host, issues: ModelIssue[]): void {
  if (host.services["config-sync"] && host.services["config-source"]) {
    issues.push({
      path: `hosts.${host.name}.services.config-sync`,
      message: "expected config-sync only on a host that does not hold the config source: this host runs config-source and would sync from itself (set `config-sync: { enabled: false }`)",
    });
  }
}

/** Settings of one host that must agree with each other. */
export function checkHostSettings(host: Host, issues: ModelIssue[]): void {
  const qdrant = host.services.qdrant;
  if (qdrant && (isUnder(qdrant.snapshotsPath, qdrant.storagePath) || isUnder(qdrant.storagePath, qdrant.snapshotsPath))) {
    issues.push({ path: `hosts.${host.name}.services.qdrant.snapshotsPath`, message: `expected a directory apart from storagePath (${qdrant.storagePath}), neither inside the other` });
  }
}

/** Settings on different hosts that must agree: a heartbeat is judged by the stale window of the host running nodered. */
export function checkFleetSettings(hosts: Host[], issues: ModelIssue[]): void {
  const judge = hosts.find((h) => h.services.nodered);
  if (!judge) return;
  const window = judge.services.nodered!.staleAfterSeconds;
  for (const host of hosts) {
    const heartbeat = host.services["mqtt-client"]?.heartbeatSeconds;
    if (heartbeat !== undefined && heartbeat >= window) {
      issues.push({
        path: `hosts.${host.name}.services.mqtt-client.heartbeatSeconds`,
        message: `expected a heartbeat shorter than the stale window that judges it (hosts.${judge.name}.services.nodered.staleAfterSeconds: ${window} s), got ${heartbeat} s`,
      });
    }
  }
}
