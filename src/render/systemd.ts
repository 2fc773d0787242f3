/**
 * systemd unit files from plain objects, and the hardening every unit starts from.
 * Key order is the object's insertion order (deterministic); arrays repeat the key.
 */
import type { PlannedUnit, Prerequisite } from "./plan";

export type UnitValue = string | number | boolean | string[] | undefined;
export type UnitSection = Record<string, UnitValue>;

function formatValue(value: string | number | boolean): string {
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

/** Render `{ Unit: {...}, Service: {...}, Install: {...} }` as a unit file. */
export function unitFile(sections: Record<string, UnitSection>): string {
  const out: string[] = ["# Managed by lyra-fleet: edits are reverted by `pulumi up`."];
  for (const [section, entries] of Object.entries(sections)) {
    out.push("", `[${section}]`);
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) out.push(`${key}=${formatValue(v)}`);
    }
  }
  return out.join("\n") + "\n";
}

/**
 * The units a [Unit] section orders this one after or pulls in (After=, Requires=, Wants=,
 * BindsTo=), from the same object the unit file is written from: what the plan's unit order
 * needs, without reading the written text back.
 */
export function unitsNamedIn(section: UnitSection): string[] {
  const names = ["After", "Requires", "Wants", "BindsTo"].flatMap((key) => {
    const value = section[key];
    const values = Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
    return values.flatMap((v) => v.split(/\s+/)).filter((name) => name !== "");
  });
  return [...new Set(names)].sort();
}

/**
 * A service that runs for good: enabled, started, scored by the security check, started after the
 * units its [Unit] section names (`unitSection`, the object its file was written from) and after
 * `after`, what must be converged first.
 */
export function longRunningUnit(
  name: string,
  content: string,
  unitSection: UnitSection,
  after: Prerequisite[] = [],
): PlannedUnit {
  return {
    name,
    content,
    enabled: true,
    active: true,
    longRunning: true,
    startsAfter: unitsNamedIn(unitSection),
    after,
  };
}

/**
 * For the oneshot service a timer runs: a run that fails is run again after `delay`, not an interval
 * later. What fails a run is often brief: the broker restarting, the NAS rebooting, or a start that
 * systemd itself failed (status=219/CGROUP, seen on loaded lab hosts). verify waits for a retry in
 * progress (src/verify/check-unit.ts), so the check reports the retry's result. With a delay of 3 s
 * or more the default start limit (5 starts in 10 s) is never reached; a failure that lasts is
 * retried every `delay` and shows as a failure.
 */
export function retriedOnFailure(delay: `${number}s` | `${number}min`): UnitSection {
  return { Restart: "on-failure", RestartSec: delay };
}

/**
 * How long verify waits for a timer's service that systemd is running again after a failed run: a
 * 5 s retry delay and the run, with room for a loaded host. A longer delay (config-sync's 30 s) is
 * reported as the failure it is.
 */
export const retryWaitSeconds = 20;

/**
 * The default sandbox: a service sees a read-only system, no home directories, no devices, no
 * kernel knobs, only IP and Unix sockets, and only the system calls an ordinary service makes.
 * Services relax what they need with a comment saying why (see each renderer).
 */
export function hardened(overrides: UnitSection = {}): UnitSection {
  return {
    NoNewPrivileges: true,
    ProtectSystem: "strict",
    ProtectHome: true,
    PrivateTmp: true,
    PrivateDevices: true,
    PrivateIPC: true,
    ProtectKernelTunables: true,
    ProtectKernelModules: true,
    ProtectKernelLogs: true,
    ProtectControlGroups: true,
    ProtectClock: true,
    ProtectHostname: true,
    ProtectProc: "invisible",
    ProcSubset: "pid",
    RestrictNamespaces: true,
    RestrictRealtime: true,
    RestrictSUIDSGID: true,
    LockPersonality: true,
    MemoryDenyWriteExecute: true,
    RemoveIPC: true,
    PrivateMounts: true,
    KeyringMode: "private",
    DevicePolicy: "closed",
    UMask: "0077",
    CapabilityBoundingSet: "",
    AmbientCapabilities: "",
    RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
    SystemCallArchitectures: "native",
    SystemCallFilter: ["@system-service", "~@privileged @resources"],
    SystemCallErrorNumber: "EPERM",
    ...overrides,
  };
}

/**
 * Settings a packaged unit may already list and that a drop-in would add to rather than replace
 * (systemd.exec(5)): an empty assignment first resets them, so the drop-in states the whole value.
 */
const additive = new Set([
  "CapabilityBoundingSet",
  "AmbientCapabilities",
  "SystemCallFilter",
  "RestrictAddressFamilies",
  "ReadWritePaths",
  "ReadOnlyPaths",
  "InaccessiblePaths",
  "DeviceAllow",
]);

/**
 * A drop-in for a unit a Debian package ships (/etc/systemd/system/<unit>.d/lyra-fleet.conf).
 * Every additive setting it names starts with a reset, so what the drop-in says is what applies,
 * whatever the package's unit lists.
 */
export function dropInFile(sections: Record<string, UnitSection>): string {
  const reset = (entries: UnitSection): UnitSection =>
    Object.fromEntries(
      Object.entries(entries).map(([key, value]) => {
        if (!additive.has(key) || value === undefined || value === "") return [key, value];
        return [key, ["", ...(Array.isArray(value) ? value : [String(value)])]];
      }),
    );
  return unitFile(Object.fromEntries(Object.entries(sections).map(([name, entries]) => [name, reset(entries)])));
}
