/**
 * The recovery scenarios that start from a host that lost its state: a re-flashed mirror, a host
 * restored from the NAS, and the mirrors' emergency mode while the broker is away. Hosts, addresses,
 * paths and timings come from the model.
 */
import type { FleetModel, Host } from "../../model/fleet";
import type { HostPlan } from "../plan";
import { backupTimer, repositoryOf, restoreService } from "../../services/backup/paths";
import {
  brokerIn,
  mirrorHosts,
  planOf,
  operatorKeySecret,
  pulumiUp,
  sshAsRoot,
  sshTarget,
  stackFile,
  verifyCommand,
} from "./facts";
import { code, link, page, tableOr, text } from "./markdown";
import { checksPagePath, hostPagePath, recoveryPagePath } from "./paths";
import { placeholders, shellBlock } from "./shell";

const here = recoveryPagePath;

/** Steps 2 and 3 of any rebuild: let the operator in, then pin the key the fresh system generated. */
function trustCommands(fleet: FleetModel, host: Host): string[] {
  const { target, portFlag } = sshTarget(host);
  return [
    `# let the operator's key in (the public half of the ${operatorKeySecret} stack secret)`,
    `ssh-copy-id${portFlag} -i ${placeholders.operatorKey}.pub ${target}`,
    "# the fresh system has a new host key: read it, then pin it in the stack file",
    `ssh-keyscan${portFlag} -t ed25519 ${host.address}`,
    `#   -> hosts.${host.name}.ssh.hostKey in ${stackFile(fleet)}`,
  ];
}

export function mirrorRebuildSection(fleet: FleetModel, plans: readonly HostPlan[]): string {
  const mirrors = mirrorHosts(fleet);
  // What the mirrors pull once converged (their config sync), as their plans declare it.
  const pulls = mirrors.flatMap((m) => planOf(plans, m.name)?.pulls ?? []);
  const pulled = [...new Set(pulls.map((p) => `its ${text(p.what)} then pulls ${code(p.from)}`))];
  const then = pulled.length > 0 ? `; ${pulled.join("; ")}` : "";
  const blocks = mirrors.flatMap((m) => [
    `### ${m.name}`,
    shellBlock("operator", [
      ...trustCommands(fleet, m),
      "# converge: packages, units, config sync, client",
      pulumiUp(fleet),
      "# its checks",
      verifyCommand(fleet, `--host ${m.name} --watch`),
    ]),
  ]);
  return page([
    "## Mirror rebuild",
    "A mirror whose SD card died or was wiped is rebuilt from nothing; everything it runs is declared.",
    [
      `1. Re-flash the SD card with Raspberry Pi OS (Debian) and boot it on its old address (table below).`,
      `2. Install the operator's SSH key for the host's SSH user.`,
      `3. Pin the new host key in ${code(stackFile(fleet))}: lyra-fleet refuses a host whose key does not match.`,
      `4. Run ${code(pulumiUp(fleet))}. It installs the mirror's packages, its apps' pinned releases (from the NAS artifact share), units and files${then}.`,
      `5. Verify the mirror's checks (listed on its host page and in ${link("Checks", here, checksPagePath)}).`,
    ].join("\n"),
    tableOr(
      ["mirror", "address", "SSH user", "SSH port"],
      mirrors.map((m) => [
        link(m.name, here, hostPagePath(m.name)),
        code(m.address),
        code(m.ssh.user),
        code(m.ssh.port),
      ]),
      "This stack has no mirrors.",
    ),
    blocks.join("\n\n"),
  ]).trimEnd();
}

export function nasRestoreSection(fleet: FleetModel, plans: readonly HostPlan[]): string {
  // Each plan lists the data its services keep (their modules' data sets); a data set is backed up
  // on a host whose plan has its restore unit (the stack has `backup:`, the host keeps backups on).
  const withData = fleet.hosts
    .map((h) => ({ host: h, plan: planOf(plans, h.name) }))
    .map(({ host, plan }) => ({
      host,
      data: (plan?.dataSets ?? []).map((d) => ({
        ...d,
        backedUp: d.backup !== undefined && (plan?.units ?? []).some((u) => u.name === restoreService(d.backup!.id)),
      })),
    }))
    .filter((x) => x.data.length > 0);
  const rows = withData.flatMap(({ host, data }) =>
    data.map((d) => [
      link(host.name, here, hostPagePath(host.name)),
      code(d.service),
      code(d.path),
      text(d.note),
      d.backedUp ? `${code(d.backup!.id)}: ${code(backupTimer(d.backup!.id))}` : "not backed up",
    ]),
  );
  const backedUp = withData.flatMap(({ host, data }) => data.filter((d) => d.backedUp).map((d) => ({ host, ...d })));
  const repository = repositoryOf(fleet);
  const example = backedUp[0];
  const how =
    repository && fleet.backup
      ? `Every data set marked below is backed up by restic to ${code(repository)} (schedule ${code(fleet.backup.schedule)}, ` +
        `keeping ${fleet.backup.keep.daily} daily, ${fleet.backup.keep.weekly} weekly and ${fleet.backup.keep.monthly} monthly backups), ` +
        `each snapshot tagged ${code("host:<host>")} and ${code("dataset:<data set>")}. A backup older than ${fleet.backup.maxAgeHours} h ` +
        `fails the host's verify check and raises the ${code("BackupStale")} alert.`
      : `This stack declares no backups (no ${code("backup:")} section): the data below lives only on its host.`;
  return page([
    "## Rebuild after a NAS restore",
    how,
    [
      "1. Bring the host back: restore its system from the NAS, or reinstall it. If its host key changed, let the operator in " +
        "and pin the new key as in the mirror rebuild.",
      `2. Run ${code(pulumiUp(fleet))}. Every run reads each host first, so whatever the backup holds that is older than the ` +
        "stack (files, units, containers) is put back to the declared state. If the Pulumi state itself came back from the NAS, " +
        "it may be older than the hosts: the same read makes the plan right anyway.",
      backedUp.length > 0
        ? `3. The data comes back by itself: before a service with a backed-up data set first starts, its ${code("lyra-restore-<data set>")} ` +
          "unit restores the latest backup, only when the data set is empty (existing data is never overwritten). If the NAS cannot be " +
          `reached that restore fails and the service stays stopped rather than start empty: bring the NAS back and run ${code(pulumiUp(fleet))} again. ` +
          "With no repository yet (a first deploy) the services start empty."
        : "3. The data below is neither in the stack nor backed up by it: put it back from your own copy before starting its services.",
      `4. Verify the host's checks (${link("Checks", here, checksPagePath)}), for the host you brought back:`,
    ].join("\n"),
    withData.length > 0 &&
      shellBlock(
        "operator",
        withData.map(({ host }) => verifyCommand(fleet, `--host ${host.name} --watch`)),
      ),
    tableOr(["host", "service", "path", "what", "backup"], rows, "No host keeps data outside the stack."),
    example &&
      `To bring back an older backup on purpose (a bad edit, a deleted collection), list the backups of the data set, then ` +
        `restore one: ${code("lyra-restore")} stops its service, moves the current data aside (next to it, ${code("<path>.lyra-replaced-<time>")}; ` +
        "nothing is deleted), restores and starts the service again.",
    example &&
      shellBlock("operator", [
        sshAsRoot(example.host, `lyra-restore --list ${example.backup!.id}`),
        sshAsRoot(example.host, `lyra-restore ${example.backup!.id} ${placeholders.snapshotId}`),
      ]),
  ]).trimEnd();
}

/** The mirrors' emergency mode: what each host's plan says it does while the broker is away (`offline`). */
export function emergencySection(fleet: FleetModel, plans: readonly HostPlan[]): string {
  const offline = fleet.hosts.flatMap((h) => (planOf(plans, h.name)?.offline ?? []).map((o) => ({ host: h, ...o })));
  const rows = offline.map((o) => [
    link(o.host.name, here, hostPagePath(o.host.name)),
    code(o.cachePath),
    code(o.log),
    `${o.retrySeconds} s`,
  ]);
  // The fallback log is root's (the client's LogsDirectory), so a mirror's deploy user reads it through sudo.
  const watch = offline.map((o) => sshAsRoot(o.host, `tail -n 50 ${o.log}`));
  const services = [...new Set(offline.map((o) => o.service))].map((s) => code(s));
  return page([
    "## Emergency mode",
    `When a mirror loses the broker (${code(brokerIn(plans).endpoint)}), its ${services.length > 0 ? services.join(" or ") : "client"} ` +
      "keeps going offline: it answers from its cache, logs every failure to its fallback log and retries the broker at " +
      "its reconnect interval. Nothing needs doing to enter it.",
    tableOr(
      ["mirror", "cached answers", "fallback log", "reconnects every"],
      rows,
      "No host declares an offline mode.",
    ),
    watch.length > 0 && "See what a mirror could not answer:",
    watch.length > 0 && shellBlock("operator", watch),
    "To leave it, bring the broker back (above). Each mirror reconnects within its interval and its heartbeats resume; " +
      "this shows when. A mirror still logging failures after that gets the recovery commands on its host page, then a rebuild.",
    shellBlock("operator", [verifyCommand(fleet, "--only mqtt --watch")]),
  ]).trimEnd();
}
