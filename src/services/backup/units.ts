/**
 * The units of one data set: lyra-restore-<id>.service (oneshot, kept active: its data set's unit
 * requires it), lyra-backup-<id>.service (requires the restore, so it never runs before it) and
 * its timer. Root, because the data belongs to services' own (often dynamic) users; boxed in to
 * what restic needs: reading the data, writing it back with its owners, the LAN.
 */
import type { PlannedUnit } from "../../render/plan";
import { hardened, retriedOnFailure, unitFile, unitsNamedIn, type UnitSection } from "../../render/systemd";
import type { BackedUpDataSet } from "./scripts";
import type { BackupSettings } from "./settings";
import { backupScript, backupService, backupTimer, restoreScript, restoreService } from "./paths";

/** Where restic may write during a restore: a path under /var/lib may not exist yet on an empty host, so all of /var/lib. */
function writableFor(path: string): string {
  if (path.startsWith("/var/lib/")) return "/var/lib";
  return path.replace(/\/[^/]+\/?$/, "") || "/";
}

/**
 * The sandbox both units share. The NAS is on the LAN, and so is any resolver that can name it:
 * private, shared and link-local ranges only (as the config sync); localhost for qdrant's API.
 */
function sandbox(capabilities: string, writable: string[], textfileDir: string): UnitSection {
  return hardened({
    CapabilityBoundingSet: capabilities,
    // restic restores owners (the @chown calls @privileged removes).
    SystemCallFilter: ["@system-service", "~@privileged @resources", "@chown"],
    // Verify reads the stamps as the SSH user, node exporter reads the metrics: world-readable.
    UMask: "0022",
    StateDirectory: "lyra/backup",
    CacheDirectory: "lyra-backup",
    // The restore stamps are per boot; qdrant's restore arguments go beside them.
    RuntimeDirectory: "lyra lyra/backup",
    RuntimeDirectoryPreserve: true,
    ReadWritePaths: [...new Set(writable.map((p) => `-${p}`)), `-${textfileDir}`].join(" "),
    IPAddressDeny: "any",
    IPAddressAllow: "localhost link-local 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 fc00::/7",
    // ssh looks for ~/.ssh; every file it needs is named on its command line.
    Environment: "HOME=/var/lib/lyra/backup",
  });
}

export function dataSetUnits(data: BackedUpDataSet, settings: BackupSettings, textfileDir: string): PlannedUnit[] {
  const id = data.backup.id;
  const restoreSection: UnitSection = {
    Description: `Restore ${data.path} (data set ${id}) from the NAS when it is empty`,
    Wants: "network-online.target",
    After: "network-online.target",
  };
  const restore = unitFile({
    Unit: restoreSection,
    Service: {
      Type: "oneshot",
      RemainAfterExit: true,
      ExecStart: restoreScript(id),
      // A large restore takes its time; a hung NAS must not hold the service back forever.
      TimeoutStartSec: "2h",
      ...sandbox(
        "CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH",
        [data.path, ...(data.backup.replaces ?? [])].map(writableFor),
        textfileDir,
      ),
    },
    // At boot too, for a data set no unit requires (the broker's container).
    Install: { WantedBy: "multi-user.target" },
  });
  const backupSection: UnitSection = {
    Description: `Back up ${data.path} (data set ${id}) to the NAS`,
    Wants: "network-online.target",
    // Never before the restore: an empty data set must not become the latest snapshot.
    Requires: restoreService(id),
    After: ["network-online.target", restoreService(id)],
  };
  const backup = unitFile({
    Unit: backupSection,
    Service: {
      Type: "oneshot",
      ExecStart: backupScript(id),
      TimeoutStartSec: "2h",
      // A backup that failed (the NAS rebooting) runs again a minute later, not at the next calendar
      // time; restic reads only what changed since the last snapshot, so a retry costs little.
      ...retriedOnFailure("1min"),
      // A backup yields to the services it backs up.
      Nice: 10,
      IOSchedulingClass: "idle",
      // Reads every file of the data set, whoever owns it.
      ...sandbox("CAP_DAC_READ_SEARCH", [], textfileDir),
    },
  });
  const timer = unitFile({
    Unit: { Description: `Back up data set ${id} (${settings.schedule})` },
    Timer: {
      OnCalendar: settings.schedule,
      RandomizedDelaySec: `${settings.randomizedDelayMinutes}min`,
      // A run missed while the host was off happens at the next boot.
      Persistent: true,
      // And two minutes after the timer starts (a deploy, a boot), once its service is up (qdrant's
      // snapshot API): a new host is backed up, and verify green, within minutes, not at the next
      // calendar time; a rebuilt host's first backup starts from what it restored (restic dedups it).
      OnActiveSec: "2min",
    },
    Install: { WantedBy: "timers.target" },
  });
  return [
    {
      name: restoreService(id),
      content: restore,
      enabled: true,
      active: true,
      longRunning: false,
      startsAfter: unitsNamedIn(restoreSection),
      after: [],
    },
    {
      name: backupService(id),
      content: backup,
      enabled: false,
      active: false,
      longRunning: false,
      startsAfter: unitsNamedIn(backupSection),
      after: [],
    },
    // Its first backup comes minutes after a converge or boot, not at once: no gate waits for it.
    {
      name: backupTimer(id),
      content: timer,
      enabled: true,
      active: true,
      longRunning: false,
      firstRunLater: true,
      after: [],
    },
  ];
}
