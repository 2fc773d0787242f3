/**
 * The fleet's topology as a plain-text drawing (it must render with stock mkdocs: no mermaid).
 * Servers above the hub, the hub (broker, config source, metrics) in the middle, mirrors below;
 * between them the MQTT flows and the config sync, all taken from the model and the plans.
 */
import type { FleetModel, Host } from "../../model/fleet";
import type { HostPlan } from "../plan";
import { brokerIn, hubOf, planOf, portsOf } from "./facts";

/**
 * Per-host topics read as the runbook writes them: lyra/presence/mirror-1 -> lyra/presence/#.
 * Only from the third level on: the model's per-host topics are lyra/<kind>/<host>, and a host may
 * well be called "lyra" like the topic root.
 */
function generalise(topic: string, hostNames: ReadonlySet<string>): string {
  const segments = topic.split("/").map((s, i) => (i >= 2 && hostNames.has(s) ? "+" : s));
  if (segments.at(-1) === "+") segments[segments.length - 1] = "#";
  return segments.join("/");
}

/** MQTT users acting for a group of hosts: one per host, plus the service users of what they run. */
function groupTopics(fleet: FleetModel, group: readonly Host[]): { publish: string[]; subscribe: string[] } {
  const names = new Set(group.map((h) => h.name));
  const users = new Set(names);
  // A service's own user (orchestrator, nodered) acts for the hosts that run the service.
  for (const user of fleet.mqttUsers) {
    if (
      user.service &&
      !user.operator &&
      group.some((h) => (h.services as Record<string, unknown>)[user.service!] !== undefined)
    )
      users.add(user.name);
  }
  const pick = (k: "publish" | "subscribe") =>
    [
      ...new Set(
        fleet.mqttUsers.filter((u) => users.has(u.name)).flatMap((u) => u[k].map((t) => generalise(t, names))),
      ),
    ].sort();
  return { publish: pick("publish"), subscribe: pick("subscribe") };
}

function boxLines(fleet: FleetModel, host: Host, plan: HostPlan | undefined): string[] {
  const lines = [`${host.name}  ${host.address}  (role ${host.role})`];
  const services = Object.keys(host.services).sort();
  const width = Math.max(0, ...services.map((s) => s.length));
  for (const s of services) lines.push(`  ${s.padEnd(width)}  ${portsOf(plan, s).join(" ")}`.trimEnd());
  for (const role of plan?.serves ?? []) lines.push(`  * ${role.summary}`);
  return lines;
}

function box(lines: readonly string[], width: number): string[] {
  const rule = `+${"-".repeat(width + 2)}+`;
  return [rule, ...lines.map((l) => `| ${l.padEnd(width)} |`), rule];
}

/** Edge lines between a group and the hub, with the arrow pointing the way the data goes. */
function mqttEdge(fleet: FleetModel, plans: readonly HostPlan[], group: readonly Host[], label: string): string[] {
  const { publish, subscribe } = groupTopics(fleet, group);
  const broker = brokerIn(plans).endpoint;
  const out = ["      |"];
  if (publish.length > 0) out.push(`      |  MQTT  ${label} --> ${broker}   publish    ${publish.join("  ")}`);
  if (subscribe.length > 0) out.push(`      |  MQTT  ${label} <-- ${broker}   subscribe  ${subscribe.join("  ")}`);
  return out;
}

/** What the group pulls on a schedule (its plans' `pulls`): one line per source, with every interval. */
function syncEdge(plans: readonly HostPlan[], group: readonly Host[], label: string): string[] {
  const pulls = group.flatMap((h) => planOf(plans, h.name)?.pulls ?? []);
  const sources = [...new Set(pulls.map((p) => p.from))].sort();
  return sources.map((source) => {
    const minutes = [...new Set(pulls.filter((p) => p.from === source).map((p) => p.everyMinutes))].sort(
      (a, b) => a - b,
    );
    return `      |  sync  ${label} <-- ${source}   every ${minutes.join("/")} min`;
  });
}

export function topologyDiagram(fleet: FleetModel, plans: readonly HostPlan[]): string[] {
  const hubHosts = hubOf(fleet, plans);
  const others = fleet.hosts.filter((h) => !hubHosts.includes(h));
  const servers = others.filter((h) => h.role !== "mirror");
  const mirrors = others.filter((h) => h.role === "mirror");
  const lines = new Map(fleet.hosts.map((h) => [h.name, boxLines(fleet, h, planOf(plans, h.name))]));
  const width = Math.max(...[...lines.values()].flat().map((l) => l.length));
  const boxes = (group: readonly Host[]) => group.flatMap((h) => box(lines.get(h.name)!, width));
  const names = (group: readonly Host[]) =>
    group.length === 1 ? group[0].name : "each of " + group.map((h) => h.name).join(", ");

  const monitor = fleet.mqttUsers.find((u) => u.operator);
  const out: string[] = [
    "operator's machine",
    "      |  SSH   pulumi up / preview: reads and converges every host",
    ...(monitor
      ? [`      |  MQTT  verify <-> ${brokerIn(plans).endpoint}   round trip on ${monitor.publish.join("  ")}`]
      : []),
    "      v",
  ];
  if (servers.length > 0) {
    out.push(
      ...boxes(servers),
      ...mqttEdge(fleet, plans, servers, names(servers)),
      ...syncEdge(plans, servers, names(servers)),
      "      |",
    );
  }
  out.push(...boxes(hubHosts));
  const hubTopics = groupTopics(fleet, hubHosts);
  if (hubTopics.publish.length > 0)
    out.push(
      `      (${names(hubHosts).replace(/^each of /, "")} also publish${hubHosts.length === 1 ? "es" : ""} ${hubTopics.publish.join("  ")})`,
    );
  if (mirrors.length > 0) {
    out.push(
      ...mqttEdge(fleet, plans, mirrors, "mirrors"),
      ...syncEdge(plans, mirrors, "mirrors"),
      "      |",
      ...boxes(mirrors),
    );
  }
  const notes = plans.flatMap((p) => p.serves.flatMap((r) => (r.note ? [r.note] : [])));
  if (notes.length > 0) {
    out.push("", ...notes);
  }
  return out;
}
