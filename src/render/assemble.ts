/**
 * Plan assembly: merge the fragments of every service on a host into one HostPlan, sorted and
 * checked (one owner per path, unit and port), so two renderers can never silently fight.
 */
import type { Host } from "../model/fleet";
import type { HostPlan, PlanFragment } from "./plan";
import { unitsOrderedBefore } from "./unit-order";

function byKey<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

function uniqueBy<T>(items: T[], key: (t: T) => string, what: string, host: string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    const prev = seen.get(k);
    if (prev !== undefined && JSON.stringify(prev) !== JSON.stringify(item)) {
      throw new Error(`internal: two renderers declare ${what} '${k}' differently on host '${host}'`);
    }
    seen.set(k, item);
  }
  return [...seen.values()].sort(byKey(key));
}

/** `dataSets`: in the order the docs list them (the registry's), so they are not sorted here. */
export function assemblePlan(host: Host, fragments: PlanFragment[], dataSets: HostPlan["dataSets"] = []): HostPlan {
  const all = <K extends keyof PlanFragment>(k: K): unknown[] => fragments.flatMap((f) => (f[k] ?? []) as unknown[]);
  const checks = all("checks") as HostPlan["checks"];
  const artifacts = uniqueBy(all("artifacts") as HostPlan["artifacts"], (a) => a.key, "artifact", host.name).map(
    (a) => ({ ...a, restarts: [...a.restarts].sort() }),
  );
  // HTTP checks are probed with curl on the host itself (health gates, the runbook's checks), and
  // the host fetches its artifacts with it.
  const curl = checks.some((c) => c.kind === "http") || artifacts.length > 0 ? ["curl"] : [];
  const units = uniqueBy(all("units") as HostPlan["units"], (u) => u.name, "unit", host.name);
  const aptProxy = uniqueBy(all("aptProxy") as string[], (p) => p, "apt proxy", host.name);
  if (aptProxy.length > 1) throw new Error(`internal: two renderers declare apt proxies on host '${host.name}'`);
  return {
    host: host.name,
    role: host.role,
    fqdn: host.fqdn,
    connection: {
      address: host.address,
      port: host.ssh.port,
      user: host.ssh.user,
      hostKey: host.ssh.hostKey,
      ...(host.ssh.connectTimeoutSeconds !== undefined && { connectTimeoutMs: host.ssh.connectTimeoutSeconds * 1000 }),
    },
    services: Object.keys(host.services).sort(),
    packages: [...new Set([...(all("packages") as string[]), ...curl])].sort(),
    artifacts,
    directories: uniqueBy(all("directories") as HostPlan["directories"], (d) => d.path, "directory", host.name),
    files: uniqueBy(all("files") as HostPlan["files"], (f) => f.path, "file", host.name).map((f) => ({
      ...f,
      restarts: [...f.restarts].sort(),
    })),
    units,
    containers: uniqueBy(all("containers") as HostPlan["containers"], (c) => c.name, "container", host.name),
    ports: uniqueBy(all("ports") as HostPlan["ports"], (p) => `${p.port}/${p.protocol}`, "port", host.name),
    checks: uniqueBy(checks, (c) => c.name, "check", host.name),
    recovery: uniqueBy(all("recovery") as HostPlan["recovery"], (r) => r.service, "recovery", host.name),
    serves: all("serves") as HostPlan["serves"],
    offline: all("offline") as HostPlan["offline"],
    pulls: all("pulls") as HostPlan["pulls"],
    docsSite: all("docsSite") as HostPlan["docsSite"],
    dataSets,
    unitOrder: Object.fromEntries(units.map((unit) => [unit.name, unitsOrderedBefore(unit, host.name, units)])),
    mqttRoundTrips: uniqueBy(
      all("mqttRoundTrips") as HostPlan["mqttRoundTrips"],
      (r) => r.name,
      "MQTT round trip",
      host.name,
    ),
    ...(aptProxy.length > 0 && { aptProxy: aptProxy[0] }),
  };
}
