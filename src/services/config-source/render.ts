/**
 * The config source: /opt/lyra/config/ on its host (Vega by default), the tree every mirror pulls
 * with `rsync -a --delete lyra-sync@<host>:./ /opt/lyra/config/` (./config-sync.ts on the mirrors).
 * lyra-fleet writes a README.md and a fleet.json describing the fleet (nothing secret); files an
 * operator adds to the tree are synced as they are.
 *
 * When mirrors sync from here, it also makes their login: the `lyra-sync` system account
 * (systemd-sysusers, run by a oneshot unit so it exists after the first `pulumi up`, not only
 * after a reboot) and its authorized_keys, where the public half of the config-sync key may only
 * run rrsync, read-only, with this tree as its root.
 */
import type { FleetModel, Host } from "../../model/fleet";
import { registrationTopic } from "../../model/topics";
import type { ServiceRenderer } from "../../render/context";
import { fqdnOf } from "../../render/context";
import type { PlanFragment } from "../../render/plan";
import { sshPublicKeyToken } from "../../render/secrets";
import { hardened, unitFile } from "../../render/systemd";
import { syncAccount, syncRemotePath, syncSource } from "../config-sync/render";
import type { ConfigSourceOptions } from "./options";
import { configSyncSshKeyKey } from "../config-sync/secrets";
import { brokerOf } from "../mqtt-broker/placement";
import { configSourceOf } from "./placement";

/** The files lyra-fleet writes into the tree itself; everything else there is the operators' (and backed up). */
export const configSourceManagedFiles = ["README.md", "fleet.json"] as const;

/** The oneshot unit that creates lyra-fleet's system accounts. */
export const accountsService = "lyra-accounts.service";
export const sysusersPath = `/etc/sysusers.d/${syncAccount}.conf`;
/** The sync account's home: root-owned, so the account cannot change its own authorized_keys. */
export const syncHome = `/var/lib/${syncAccount}`;
export const authorizedKeysPath = `${syncHome}/.ssh/authorized_keys`;

/**
 * The only thing the config-sync key may do here: rrsync, read-only, serving `path` as the root of
 * what it reaches (the mirrors ask for `./`). No -absolute: bookworm's rsync 3.2.7 does not know it.
 * `restrict` turns off forwarding, a tty, ~/.ssh/rc and X11.
 */
export const syncKeyOptions = (path: string): string => `restrict,command="/usr/bin/rrsync -ro ${path}"`;

/** sysusers.d(5): a system user with a home and /bin/sh (sshd runs the forced command with it). */
export const sysusersLine = `u ${syncAccount} - "lyra-fleet config sync" ${syncHome} /bin/sh\n`;

/**
 * The account manager's sandbox: it must stay root and write /etc (passwd, shadow, group, gshadow,
 * their `-` backups and .pwd.lock, each replaced by a temporary file renamed into place), and it
 * gives each new file its predecessor's owner, root:shadow for the shadow files, which takes
 * CAP_CHOWN (test/tools/systemd-units.test.ts runs it with exactly this bounding set). Nothing
 * else: no network, no devices, no other capability; user lookups go over Unix sockets (NSS).
 */
export const accountsSandbox = hardened({
  ReadWritePaths: "/etc",
  CapabilityBoundingSet: "CAP_CHOWN",
  SystemCallFilter: ["@system-service", "~@clock @module @raw-io @reboot @swap @resources"],
  PrivateNetwork: true,
  RestrictAddressFamilies: "AF_UNIX",
  IPAddressDeny: "any",
});

/** Hosts whose config sync pulls from `host`, sorted by name. */
function mirrorsOf(fleet: FleetModel, host: Host): string[] {
  return fleet.hosts
    .filter((h) => h.services["config-sync"] && syncSource(fleet, h.services["config-sync"]).host.name === host.name)
    .map((h) => h.name);
}

/** The sync account, its key and the unit that creates it, for a source that mirrors pull from. */
function syncLogin(host: Host, path: string): PlanFragment {
  const root = { owner: "root", group: "root" };
  const accounts = unitFile({
    Unit: { Description: `lyra-fleet's system accounts (${syncAccount})`, Documentation: "man:sysusers.d(5)" },
    // systemd's own systemd-sysusers.service runs only when /etc needs an update (after an OS
    // upgrade), so a restart of it would not create the account: this unit runs the file itself.
    Service: {
      Type: "oneshot",
      RemainAfterExit: true,
      ExecStart: `/usr/bin/systemd-sysusers ${sysusersPath}`,
      ...accountsSandbox,
    },
    Install: { WantedBy: "multi-user.target" },
  });
  return {
    // rrsync is a Python script; rsync only suggests python3.
    packages: ["python3"],
    directories: [
      // sshd's StrictModes accepts root-owned, not group- or world-writable directories up to home.
      { path: syncHome, mode: "0755", ...root },
      { path: `${syncHome}/.ssh`, mode: "0755", ...root },
    ],
    files: [
      { path: sysusersPath, content: sysusersLine, mode: "0644", ...root, restarts: [accountsService] },
      {
        path: authorizedKeysPath,
        content: `${syncKeyOptions(path)} ${sshPublicKeyToken(configSyncSshKeyKey)} lyra-fleet config-sync\n`,
        mode: "0644",
        ...root,
        restarts: [],
      },
    ],
    // Active means it has run (RemainAfterExit=yes); a changed sysusers file runs it again.
    units: [{ name: accountsService, content: accounts, enabled: true, active: true, longRunning: false, after: [] }],
    checks: [
      // "active (exited)": it ran. The unit cannot see the account removed since; getent can.
      { kind: "unit", name: `${host.name}: ${accountsService} active`, unit: accountsService },
      { kind: "command", name: `${host.name}: ${syncAccount} account exists`, command: `getent passwd ${syncAccount}` },
    ],
  };
}

/** "/opt/lyra/config/" and "/opt/lyra/config" are the same tree (the mirrors strip it the same way). */
const treePath = (path: string): string => path.replace(/\/+$/, "") || "/";

/** What the mirrors learn about the fleet: names, addresses, placement, topics. No secrets. */
export function fleetDescription(fleet: FleetModel): Record<string, unknown> {
  const orchestrator = fleet.hosts.find((h) => h.services["lyra-orchestrator"]);
  return {
    generatedBy: "lyra-fleet",
    site: { domain: fleet.site.domain, timezone: fleet.site.timezone },
    broker: { host: fqdnOf(fleet, brokerOf(fleet).host), port: brokerOf(fleet).port },
    configSource: { host: fqdnOf(fleet, configSourceOf(fleet).host), path: treePath(configSourceOf(fleet).path) },
    orchestrator: orchestrator
      ? {
          host: fqdnOf(fleet, orchestrator.name),
          url: `http://${fqdnOf(fleet, orchestrator.name)}:${orchestrator.services["lyra-orchestrator"]!.port}`,
        }
      : null,
    topics: {
      presence: "lyra/presence/<host>",
      health: "lyra/health/<host>",
      registration: registrationTopic("<client>"),
      roundTrip: "lyra/test",
    },
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

function readme(fleet: FleetModel, host: Host, path: string, mirrors: string[]): string {
  const source = fqdnOf(fleet, host.name);
  const login =
    mirrors.length > 0
      ? [
          `\`${syncRemotePath}\` is this tree: lyra-fleet creates the \`${syncAccount}\` account (${sysusersPath},`,
          `applied by ${accountsService}) and authorizes the public half of the \`${configSyncSshKeyKey}\``,
          `secret in ${authorizedKeysPath}, for reading this tree only:`,
          "",
          "```",
          `${syncKeyOptions(path)} <key>`,
          "```",
          "",
          "The account has no password (it is locked), so sshd must keep Debian's `UsePAM yes`: with",
          "`UsePAM no`, sshd refuses a locked account even with a valid key.",
        ]
      : [`No mirror syncs from here, so lyra-fleet creates no \`${syncAccount}\` account on ${host.name}.`];
  return [
    "# Lyra config source",
    "",
    "Managed by lyra-fleet: `pulumi up` rewrites README.md and fleet.json; other files here are yours.",
    "",
    `This tree lives on ${host.name} (${source}) at \`${path}/\`. Every mirror copies it, whole, to its own`,
    `\`${path}/\`, logging in here over SSH as \`${syncAccount}\`:`,
    "",
    "```",
    `rsync -a --delete ${syncAccount}@${source}:${syncRemotePath} ${path}/`,
    "```",
    "",
    "so a file removed here is removed on the mirrors.",
    "",
    ...login,
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

export const render: ServiceRenderer<ConfigSourceOptions> = ({ fleet, host, settings }) => {
  const path = treePath(settings.path);
  const mirrors = mirrorsOf(fleet, host);
  const login = mirrors.length > 0 ? syncLogin(host, path) : {};
  // World-readable on purpose: the sync account reads everything and writes nothing here.
  const file = (name: string, content: string) => ({
    path: `${path}/${name}`,
    content,
    mode: "0644",
    owner: "root",
    group: "root",
    restarts: [],
  });
  return {
    // The mirrors pull with rsync over SSH: both ends need rsync, this end an SSH server.
    packages: ["openssh-server", "rsync", ...(login.packages ?? [])],
    directories: [{ path, mode: "0755", owner: "root", group: "root" }, ...(login.directories ?? [])],
    files: [
      file(configSourceManagedFiles[0], readme(fleet, host, path, mirrors)),
      file(configSourceManagedFiles[1], JSON.stringify(fleetDescription(fleet), null, 2) + "\n"),
      ...(login.files ?? []),
    ],
    units: login.units ?? [],
    serves: [
      {
        service: "config-source",
        summary: `config source ${path}/`,
        powerFirst: { name: "config source", why: "the mirrors sync their config from here" },
      },
    ],
    checks: [{ kind: "unit", name: `${host.name}: ssh.service active`, unit: "ssh.service" }, ...(login.checks ?? [])],
    recovery: [
      {
        service: "config-source",
        commands: [
          `ls -la ${path}/`,
          ...(mirrors.length > 0
            ? [
                // The mirrors log in as this account; restarting the unit re-creates it if it was removed.
                `id ${syncAccount}`,
                `systemctl restart ${accountsService.replace(/\.service$/, "")}`,
                `cat ${authorizedKeysPath}`,
                "sshd -T | grep -i '^usepam'",
              ]
            : []),
          "systemctl status ssh",
          "journalctl -u ssh -n 50",
          "# then on each mirror, its config-sync commands (on its host page) pull again",
        ],
      },
    ],
  };
};
