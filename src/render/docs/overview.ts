/** index.md: the fleet at a glance (hosts, topology, MQTT access) and where to go from here. */
import type { FleetModel } from "../../model/fleet";
import type { HostPlan } from "../plan";
import { brokerIn, planOf, portsOf, pulumiUp, stackFile } from "./facts";
import { code, codeBlock, codeList, link, page, table, text, type DocsPage } from "./markdown";
import { checksPagePath, entriesIndexPath, hostPagePath, overviewPagePath, recoveryPagePath } from "./paths";
import { topologyDiagram } from "./topology";

export function overviewPage(fleet: FleetModel, plans: readonly HostPlan[]): DocsPage {
  const here = overviewPagePath;
  const hostRows = fleet.hosts.map((h) => {
    const plan = planOf(plans, h.name);
    return [
      link(h.name, here, hostPagePath(h.name)),
      code(h.role),
      code(h.address),
      codeList(plan?.services ?? []),
      codeList(portsOf(plan)),
    ];
  });
  const mqttRows = fleet.mqttUsers.map((u) => [code(u.name), codeList(u.publish), codeList(u.subscribe)]);
  return {
    path: here,
    title: "Overview",
    content: page([
      "# Lyra fleet",
      `Generated from ${code(stackFile(fleet))} by lyra-fleet: every page is rebuilt from the fleet model and the ` +
        `host plans on each ${code(pulumiUp(fleet))}, so what you read is what is deployed. Do not edit these pages on the host.`,
      "## Hosts",
      table(["host", "role", "address", "services", "ports"], hostRows),
      "## Topology",
      `Hosts reach each other as ${code(`<host>.${fleet.site.domain}`)}. Arrows point the way the data goes.`,
      codeBlock(topologyDiagram(fleet, plans), "text"),
      "## MQTT access",
      `Who may publish and subscribe to what on the broker (${code(brokerIn(plans).endpoint)}); ` +
        "a client outside its list is refused by the broker's ACL.",
      table(["user", "publish", "subscribe"], mqttRows),
      "## When something breaks",
      [
        `- ${link("Recovery", here, recoveryPagePath)}: power cut, broker failure, mirror rebuild, NAS restore, emergency mode, escalation.`,
        `- ${link("Checks", here, checksPagePath)}: every health check, the list the verify command runs.`,
        `- ${link("Incident records", here, entriesIndexPath)}: what happened before, and what was done.`,
        `- Each host's page: its units, containers, files, checks and recovery commands.`,
      ].join("\n"),
      `Site ${text(fleet.site.domain)}, time zone ${code(fleet.site.timezone)}, NTP ${codeList(fleet.site.ntpServers)}, ` +
        `backups on ${code(`${fleet.site.nas.host}:${fleet.site.nas.path}`)}.`,
    ]),
  };
}
