/**
 * Backups on a host with data sets: restic (Debian) over SFTP to the fleet's repository on the NAS,
 * one backup timer and one restore unit per data set, the login and password (secret tokens only),
 * the operator's `lyra-restore`, verify's age checks. Rendered after the rest of the host, from the
 * data sets its services declare (the plan's `dataSets`).
 */
import type { Host } from "../../model/fleet";
import type { RenderContext } from "../../render/context";
import type { HealthCheck, HostPlan, PlanFragment, PlannedFile } from "../../render/plan";
import { unitActive } from "../../render/checks";
import { secretToken } from "../../render/secrets";
import { textfileDirectory } from "../node-exporter/render";
import type { BackupOptions } from "./options";
import {
  backupConfigDir,
  backupPaths,
  backupScript,
  backupService,
  backupTimer,
  backupsOn,
  lastRunStamp,
  lastSuccessStamp,
  repositoryOf,
  restoreScript,
  restoreService,
} from "./paths";
import { backupPasswordKey, nasSshKeyKey } from "./secrets";
import { backupScriptText, restoreCommandText, restoreScriptText, shellWord, type BackedUpDataSet } from "./scripts";
import type { BackupSettings } from "./settings";
import { dataSetUnits } from "./units";
import { placeholders } from "../../render/docs/shell";

const managed = "# Managed by lyra-fleet: edits are reverted by `pulumi up`.";

/** The ssh that restic runs for SFTP: the fleet's key, the NAS's pinned key and nothing else, and no waiting forever. */
export function sftpCommand(user: string, nasHost: string): string {
  return [
    "ssh",
    `-i ${backupPaths.sshKey}`,
    "-o IdentitiesOnly=yes",
    `-o UserKnownHostsFile=${backupPaths.knownHosts}`,
    "-o GlobalKnownHostsFile=/dev/null",
    "-o StrictHostKeyChecking=yes",
    "-o BatchMode=yes",
    "-o ConnectTimeout=10",
    "-o ServerAliveInterval=15",
    "-o ServerAliveCountMax=4",
    `${user}@${nasHost}`,
    "-s sftp",
  ].join(" ");
}

/** restic.env: sourced by every backup script (sh), never holding a secret itself. */
export function resticEnv(repository: string, sftp: string, textfileDir: string | undefined): string {
  return [
    managed,
    "# The fleet's restic repository and how this host reaches it; read by the scripts in",
    `# ${backupPaths.scripts}/ and lyra-restore. The password and the key are files beside this one.`,
    `RESTIC_REPOSITORY=${shellWord(repository)}`,
    `RESTIC_PASSWORD_FILE=${backupPaths.password}`,
    `RESTIC_CACHE_DIR=${backupPaths.cache}`,
    `LYRA_SFTP_COMMAND=${shellWord(sftp)}`,
    `LYRA_BACKUP_STATE_DIR=${backupPaths.state}`,
    `LYRA_BACKUP_RUN_DIR=${backupPaths.run}`,
    `LYRA_TEXTFILE_DIR=${textfileDir ?? ""}`,
    "",
  ].join("\n");
}

/**
 * Verify: the last backup run succeeded, and the last good backup is younger than the stack's
 * maximum age. Both, because a run that fails right after a good one leaves the age fresh for a day
 * and a half: the failure must show at once.
 */
export function backupAgeCheck(host: Host, id: string, settings: BackupSettings): HealthCheck {
  const max = settings.maxAgeHours * 3600;
  const journal = `journalctl -u ${backupService(id)}`;
  return {
    kind: "command",
    name: `${host.name}: last backup of ${id} good, and younger than ${settings.maxAgeHours} h`,
    command:
      `f=${lastSuccessStamp(id)}; r=${lastRunStamp(id)}; ` +
      `[ "$(cat "$r" 2>/dev/null || echo 1)" = 1 ] || { echo "the last backup run of ${id} failed: ${journal}" >&2; exit 1; }; ` +
      `[ -s "$f" ] || { echo "no good backup of ${id} yet: systemctl start ${backupService(id)}" >&2; exit 1; }; ` +
      `age=$(( $(date +%s) - $(cat "$f") )); [ "$age" -lt ${max} ] || ` +
      `{ echo "the last good backup of ${id} is $((age / 3600)) h old: ${journal}" >&2; exit 1; }`,
  };
}

const root = { owner: "root", group: "root" };

export function renderBackups(ctx: RenderContext<BackupOptions>, plan: HostPlan): PlanFragment {
  const { fleet, host } = ctx;
  const settings = fleet.backup;
  const repository = repositoryOf(fleet);
  const { user, hostKey, host: nasHost } = fleet.site.nas;
  const dataSets = plan.dataSets.filter((d): d is BackedUpDataSet => d.backup !== undefined);
  if (!backupsOn(fleet, host) || !settings || !repository || !user || !hostKey || dataSets.length === 0) return {};

  const textfileDir = (host.services as Record<string, unknown>)["node-exporter"] ? textfileDirectory : undefined;
  const [keyType, keyBase64] = hostKey.split(/\s+/);
  const script = (path: string, content: string): PlannedFile => ({
    path,
    content,
    mode: "0755",
    ...root,
    restarts: [],
  });
  return {
    packages: ["restic", "openssh-client", ...dataSets.flatMap((d) => d.backup.packages ?? [])],
    directories: [
      { path: "/etc/lyra", mode: "0755", ...root },
      { path: backupConfigDir, mode: "0700", ...root },
      { path: backupPaths.scripts, mode: "0755", ...root },
    ],
    files: [
      {
        path: backupPaths.password,
        content: `${secretToken(backupPasswordKey)}\n`,
        mode: "0600",
        ...root,
        restarts: [],
      },
      // OpenSSH wants the key file to end with a newline.
      { path: backupPaths.sshKey, content: `${secretToken(nasSshKeyKey)}\n`, mode: "0600", ...root, restarts: [] },
      {
        path: backupPaths.knownHosts,
        content: `${nasHost} ${keyType} ${keyBase64}\n`,
        mode: "0644",
        ...root,
        restarts: [],
      },
      {
        path: backupPaths.env,
        content: resticEnv(repository, sftpCommand(user, nasHost), textfileDir),
        mode: "0644",
        ...root,
        restarts: [],
      },
      ...dataSets.flatMap((d) => [
        script(backupScript(d.backup.id), backupScriptText(host.name, d, settings)),
        script(restoreScript(d.backup.id), restoreScriptText(host.name, d)),
      ]),
      script(backupPaths.restoreCommand, restoreCommandText(host.name, dataSets)),
    ],
    units: dataSets.flatMap((d) => dataSetUnits(d, settings, textfileDirectory)),
    checks: dataSets.flatMap((d) => [
      unitActive(host, restoreService(d.backup.id)),
      unitActive(host, backupTimer(d.backup.id)),
      backupAgeCheck(host, d.backup.id, settings),
    ]),
    recovery: [
      {
        service: "backup",
        commands: [
          "systemctl list-timers 'lyra-backup-*'",
          ...dataSets.flatMap((d) => [
            `journalctl -u ${backupService(d.backup.id)} -u ${restoreService(d.backup.id)} -n 50 --no-pager`,
          ]),
          `systemctl start ${backupService(dataSets[0].backup.id)}   # a backup now`,
          `lyra-restore --list ${dataSets[0].backup.id}   # its backups, newest last`,
          `lyra-restore ${dataSets[0].backup.id} ${placeholders.snapshotId}   # an older one, on purpose: the current data is moved aside`,
        ],
      },
    ],
  };
}
