/**
 * The config source: /opt/lyra/config/ on its host (Vega by default), the tree every mirror pulls
 * with `rsync -a --delete lyra-sync@<host>:/opt/lyra/config/ /opt/lyra/config/` (./config-sync.ts on the
 * mirrors). lyra-fleet writes a README.md and a fleet.json describing the fleet (nothing secret);
 * files an operator adds to the tree are synced as they are.
 */
import type { Fleet, Host } from "../../model/fleet";
import type { ServiceRenderer } from "../context";
import { fqdnOf } from "../context";
// The account the mirrors log in as over SSH (not created by lyra-fleet yet: see the README text).
import { syncAccount } from "./config-sync";


/** "/opt/lyra/config/" and "/opt/lyra/config" are the same tree (the mirrors strip it the same way). */
const treePath = (path: string): string => path.replace(/\/+$/, "") || "/";

/** What the mirrors learn about the fleet: names, addresses, placement, topics. No secrets. */
export function fleetDescription(fleet: Fleet): Record<string, unknown> {
  const orchestrator = fleet.hosts.find((h) => h.services["lyra-orchestrator"]);
  return {
    generatedBy: "lyra-fleet",
    site: { domain: fleet.site.domain, timezone: fleet.site.timezone },
    broker: { host: fqdnOf(fleet, fleet.broker.host), port: fleet.broker.port },
    configSource: { host: fqdnOf(fleet, fleet.configSource.host), path: treePath(fleet.configSource.path) },
    orchestrator: orchestrator
      ? { host: fqdnOf(fleet, orchestrator.name), url: `http://${fqdnOf(fleet, orchestrator.name)}:${orchestrator.services["lyra-orchestrator"]!.port}` }
      : null,
    topics: { presence: "lyra/presence/<host>", health: "lyra/health/<host>", registration: "lyra/clients/online", roundTrip: "lyra/test" },
    hosts: fleet.hosts.map((h) => ({
      name: h.name,
      fqdn: fqdnOf(fleet, h.name),
      role: h.role,
      // A host's MQTT user is its own name; its password is a Pulumi secret, never in this tree.
      mqttUser: h.name,
      services: Object.keys(h.services).sort(),
    })),
  };
}

function readme(fleet: Fleet, host: Host, path: string): string {
  const source = fqdnOf(fleet, host.name);
  const mirrors = fleet.hosts.filter((h) => h.services["config-sync"]).map((h) => h.name);
  return [
    "# Lyra config source",
    "",
    "Managed by lyra-fleet: `pulumi up` rewrites README.md and fleet.json; other files here are yours.",
    "",
    `This tree lives on ${host.name} (${source}) at \`${path}/\`. Every mirror copies it, whole, to its own`,
    `\`${path}/\`, logging in here over SSH as \`${syncAccount}\`:`,
    "",
    "```",
    `rsync -a --delete ${syncAccount}@${source}:${path}/ ${path}/`,
    "```",
    "",
    "so a file removed here is removed on the mirrors.",
    "",
    `The \`${syncAccount}\` account is set up by hand for now (lyra-fleet does not manage accounts yet): the`,
    "public half of the `config-sync-ssh-key` secret goes into its ~/.ssh/authorized_keys as",
    `\`restrict,command="/usr/bin/rrsync -ro -absolute ${path}" <key>\`, so it can only read this tree.`,
    "",
    `Mirrors syncing from here: ${mirrors.length > 0 ? mirrors.join(", ") : "none"}.`,
    "",
    "- `fleet.json`: the fleet as the mirrors need to know it (hosts, broker, orchestrator, topics).",
    "- Put shared mirror files (prompts, wake words, UI settings) beside it; they arrive on every mirror",
    "  at the next sync.",
    "",
    "Never put a secret here: every file is readable by every mirror. Passwords are Pulumi secrets and",
    "reach each host in root-only files.",
    "",
  ].join("\n");
}

export const render: ServiceRenderer<"config-source"> = ({ fleet, host, settings }) => {
  const path = treePath(settings.path);
  // World-readable on purpose: the sync account reads everything and writes nothing here.
  const file = (name: string, content: string) => ({ path: `${path}/${name}`, content, mode: "0644", owner: "root", group: "root", restarts: [] });
  return {
    // The mirrors pull with rsync over SSH: both ends need rsync, this end an SSH server.
    packages: ["openssh-server", "rsync"],
    directories: [{ path, mode: "0755", owner: "root", group: "root" }],
    files: [file("README.md", readme(fleet, host, path)), file("fleet.json", JSON.stringify(fleetDescription(fleet), null, 2) + "\n")],
    checks: [{ kind: "unit", name: `${host.name}: ssh.service active`, unit: "ssh.service" }],
    recovery: [
      {
        service: "config-source",
        commands: [
          `ls -la ${path}/`,
          // The mirrors log in as this account; it is not created by lyra-fleet (yet).
          `id ${syncAccount}`,
          "systemctl status ssh",
          "journalctl -u ssh -n 50",
          "# then on a mirror: systemctl start lyra-config-sync.service && journalctl -u lyra-config-sync -n 20",
        ],
      },
    ],
  };
};
