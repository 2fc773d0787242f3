/**
 * Where the backups live on a host, the units' names, and the restore ordering other modules add
 * to their own units. One place, so the renderer, the scripts, the docs and the modules agree.
 */
import type { FleetModel, Host } from "../../model/fleet";
import type { UnitSection } from "../../render/systemd";

export const backupConfigDir = "/etc/lyra/backup";
export const backupPaths = {
  /** The restic password (secret backupPassword), root only. */
  password: `${backupConfigDir}/password`,
  /** The NAS account's private key (secret nasSshKey), root only. */
  sshKey: `${backupConfigDir}/ssh-key`,
  /** The NAS's pinned host key: ssh refuses any other. */
  knownHosts: `${backupConfigDir}/known_hosts`,
  /** What every script sources: the repository, the password file, the sftp command, where state goes. */
  env: `${backupConfigDir}/restic.env`,
  /** Where the scripts are (backup-<id>, restore-<id>), beside lyra-fleet's others. */
  scripts: "/usr/local/lib/lyra",
  /** The operator's command for a deliberate restore of an older backup. */
  restoreCommand: "/usr/local/sbin/lyra-restore",
  /** Survives reboots: when each data set's last good backup finished (verify reads it). */
  state: "/var/lib/lyra/backup",
  /** This boot only: which restores succeeded (a backup runs only after its data set's restore). */
  run: "/run/lyra/backup",
  /** restic's cache (CacheDirectory=lyra-backup). */
  cache: "/var/cache/lyra-backup",
} as const;

export const backupService = (id: string): string => `lyra-backup-${id}.service`;
export const backupTimer = (id: string): string => `lyra-backup-${id}.timer`;
export const restoreService = (id: string): string => `lyra-restore-${id}.service`;
export const backupScript = (id: string): string => `${backupPaths.scripts}/backup-${id}`;
export const restoreScript = (id: string): string => `${backupPaths.scripts}/restore-${id}`;
/** Verify's stamp: the epoch second the last good backup finished. */
export const lastSuccessStamp = (id: string): string => `${backupPaths.state}/${id}.last-success`;

/** The fleet's one repository: every host's data sets, told apart by their tags. */
export function repositoryOf(fleet: FleetModel): string | undefined {
  const nas = fleet.site.nas;
  if (!fleet.backup || !nas.user) return undefined;
  return `sftp:${nas.user}@${nas.host}:${nas.path.replace(/\/+$/, "")}/restic`;
}

/** Whether the host backs up and restores its data sets: the stack has `backup:` and the host keeps the backup service on. */
export function backupsOn(fleet: FleetModel, host: Host): boolean {
  return fleet.backup !== undefined && (host.services as Record<string, unknown>).backup !== undefined;
}

/**
 * A data set's unit, with its restore first: Requires= (a failed restore keeps it from starting
 * empty) and After=. `section` is the unit's own [Unit] section; unchanged when backups are off.
 */
export function afterRestore(fleet: FleetModel, host: Host, ids: readonly string[], section: UnitSection): UnitSection {
  if (!backupsOn(fleet, host) || ids.length === 0) return section;
  const list = (value: UnitSection[string]): string[] =>
    value === undefined ? [] : Array.isArray(value) ? value : [String(value)];
  const restores = ids.map(restoreService);
  return {
    ...section,
    Requires: [...list(section.Requires), ...restores],
    After: [...list(section.After), ...restores],
  };
}
