/**
 * lyra-config-sync.service + .timer: the mirror pulls the config source (vega:/opt/lyra/config/)
 * with rsync over SSH every `intervalMinutes`, into the same path on the mirror.
 *
 * Trust is pinned both ways: the mirror accepts only the source host's key from the model
 * (`hosts.<source>.ssh.hostKey`, rendered into its own known_hosts, StrictHostKeyChecking=yes), and
 * logs in as `lyra-sync` with the fleet's config-sync key (secret `config-sync-ssh-key`, delivered
 * with LoadCredential=). Authorizing that key on the source, read-only, is the config source's job.
 *
 * Runs as root, not as a DynamicUser: `rsync -a` keeps the source's owners, and files written by a
 * transient UID would outlive it (owned by whatever service gets that UID next). Root is boxed in:
 * the only writable path is the target directory, the only capabilities are the three rsync needs to
 * set owners and modes there, and the network is the LAN plus local sockets (name resolution). The
 * default UMask=0077 stays: rsync -a sets every copy's mode from the source explicitly.
 */
import type { FleetModel, Host } from "../../model/fleet";
import { hostByName } from "../../model/fleet";
import type { ServiceRenderer } from "../../render/context";
import { fqdnOf } from "../../render/context";
import type { PlanFragment } from "../../render/plan";
import { secretToken } from "../../render/secrets";
import { hardened, retriedOnFailure, unitFile } from "../../render/systemd";
import type { ConfigSyncOptions } from "./options";
import { hostPrerequisite } from "../../render/prerequisites";
import { configSyncSshKeyKey } from "./secrets";
import { configSourceOf } from "../config-source/placement";

export const syncService = "lyra-config-sync.service";
export const syncTimer = "lyra-config-sync.timer";
export const syncConfigDir = "/etc/lyra/config-sync";
export const knownHostsPath = `${syncConfigDir}/known_hosts`;
export const syncKeyPath = `${syncConfigDir}/ssh-key`;
/** The account on the source host that the mirrors log in as. */
export const syncAccount = "lyra-sync";
/**
 * What the mirrors ask the source for. The source forces the config-sync key into rrsync, which
 * serves the config tree as the root of all the key reaches (./config-source.ts): "./" is that
 * tree. An absolute path would need rrsync's -absolute, which bookworm's rsync 3.2.7 lacks.
 */
export const syncRemotePath = "./";

export interface SyncSource {
  host: Host;
  fqdn: string;
  /** The config source's path, also the target path on the mirror (no trailing slash). */
  path: string;
}

export function syncSource(fleet: FleetModel, settings: { source?: string }): SyncSource {
  const host = hostByName(fleet, settings.source ?? configSourceOf(fleet).host);
  const path = host.services["config-source"]?.path ?? configSourceOf(fleet).path;
  return { host, fqdn: fqdnOf(fleet, host.name), path: path.replace(/\/+$/, "") };
}

/** known_hosts with the source's pinned key, under the name (and port) ssh will look it up by. */
export function knownHosts(source: SyncSource): string {
  const [type, key] = source.host.ssh.hostKey.split(/\s+/);
  const name = source.host.ssh.port === 22 ? source.fqdn : `[${source.fqdn}]:${source.host.ssh.port}`;
  return `${name} ${type} ${key}\n`;
}

/** The rsync command line, as systemd's ExecStart= reads it (the -e value is one quoted word). */
export function rsyncCommand(source: SyncSource, keyPath: string): string {
  const ssh = [
    "/usr/bin/ssh",
    `-i ${keyPath}`,
    ...(source.host.ssh.port === 22 ? [] : [`-p ${source.host.ssh.port}`]),
    `-o UserKnownHostsFile=${knownHostsPath}`,
    // The model's key is the only one trusted: a key in /etc/ssh/ssh_known_hosts adds nothing.
    "-o GlobalKnownHostsFile=/dev/null",
    "-o StrictHostKeyChecking=yes",
    "-o BatchMode=yes",
    "-o ConnectTimeout=10",
  ].join(" ");
  return `/usr/bin/rsync -a --delete -e "${ssh}" ${syncAccount}@${source.fqdn}:${syncRemotePath} ${source.path}/`;
}

export const render: ServiceRenderer<ConfigSyncOptions> = ({ fleet, host, settings }): PlanFragment => {
  const source = syncSource(fleet, settings);
  const every = `${settings.intervalMinutes}min`;

  const service = unitFile({
    Unit: {
      Description: `Sync ${source.path} from ${source.host.name} (rsync over SSH)`,
      Wants: "network-online.target",
      After: "network-online.target",
    },
    Service: {
      Type: "oneshot",
      // %d: the credentials directory, where LoadCredential= puts a copy only this unit can read.
      ExecStart: rsyncCommand(source, "%d/ssh-key"),
      LoadCredential: `ssh-key:${syncKeyPath}`,
      // A hung transfer must not block the next run forever.
      TimeoutStartSec: "15min",
      // A sync that fails (the source rebooting, a mirror's network not up yet at boot) runs again
      // 30 s later, not an interval later: a rebuilt mirror gets its config, and its converge's
      // health gate sees it, within a minute of the source answering again.
      ...retriedOnFailure("30s"),
      ...hardened({
        // Root, so that rsync -a can keep owners: chown (CAP_CHOWN, the @chown system calls that
        // @privileged removes), modes and times on files it does not own (CAP_FOWNER) and writes
        // into directories whatever their mode (CAP_DAC_OVERRIDE).
        CapabilityBoundingSet: "CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE",
        SystemCallFilter: ["@system-service", "~@privileged @resources", "@chown"],
        ReadWritePaths: `${source.path}/`,
        // The source is a LAN host (<host>.<domain>, a home network's domain), and so is any
        // resolver that can name it: private, shared (CGNAT, VPN overlays) and link-local ranges
        // only, so a subverted ssh or rsync cannot reach the internet.
        IPAddressDeny: "any",
        IPAddressAllow: "localhost link-local 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 fc00::/7",
      }),
    },
  });
  const timer = unitFile({
    Unit: { Description: `Sync ${source.path} from ${source.host.name} every ${settings.intervalMinutes} min` },
    // The first sync runs as soon as the timer is started, at boot or by the converge that
    // installs the mirror, so a rebuilt mirror has its config within seconds, not an interval
    // later. (No Persistent=: systemd applies it to OnCalendar= timers only.)
    Timer: { OnActiveSec: "1s", OnUnitActiveSec: every },
    Install: { WantedBy: "timers.target" },
  });

  return {
    packages: ["openssh-client", "rsync"],
    directories: [
      { path: "/etc/lyra", mode: "0755", owner: "root", group: "root" },
      { path: syncConfigDir, mode: "0755", owner: "root", group: "root" },
      { path: "/opt/lyra", mode: "0755", owner: "root", group: "root" },
      { path: source.path, mode: "0755", owner: "root", group: "root" },
    ],
    files: [
      { path: knownHostsPath, content: knownHosts(source), mode: "0644", owner: "root", group: "root", restarts: [] },
      // OpenSSH wants the key file to end with a newline.
      {
        path: syncKeyPath,
        content: `${secretToken(configSyncSshKeyKey)}\n`,
        mode: "0600",
        owner: "root",
        group: "root",
        restarts: [],
      },
    ],
    units: [
      {
        name: syncService,
        content: service,
        enabled: false,
        active: false,
        longRunning: false,
        after: [hostPrerequisite(source.host.name, "config-source")],
      },
      { name: syncTimer, content: timer, enabled: true, active: true, longRunning: false, after: [] },
    ],
    pulls: [
      {
        service: "config-sync",
        what: "config sync",
        from: `${source.host.name}:${source.path}/`,
        everyMinutes: settings.intervalMinutes,
      },
    ],
    checks: [
      { kind: "unit", name: `${host.name}: ${syncTimer} active`, unit: syncTimer },
      {
        kind: "command",
        name: `${host.name}: last config sync succeeded`,
        command: `test "$(systemctl show -P Result ${syncService})" = success`,
      },
    ],
    recovery: [
      {
        service: "config-sync",
        commands: [
          "systemctl start lyra-config-sync",
          "journalctl -u lyra-config-sync -n 20 --no-pager",
          `ls -l ${source.path}/`,
        ],
      },
    ],
  };
};
