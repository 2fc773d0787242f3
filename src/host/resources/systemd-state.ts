/**
 * What systemd really has for a unit, and the plan that brings it to the desired state. The plan
 * is a pure function, tested without hosts; the remote parts are one read and one apply command.
 */
import { describeHost, HostConnection } from "../transport/connection";
import { hostError } from "../transport/errors";
import { parseStatLine, PathState, STAT_FUNCTION } from "../transport/remote-path";
import { runRemote, runRemoteChecked } from "../transport/ssh";

/** Where unit files written by the fleet live. */
export function unitFilePath(name: string): string {
  return `/etc/systemd/system/${name}`;
}

/** The fleet's drop-in for a unit (used for packaged units, whose own file is not ours). */
export function dropInPath(name: string): string {
  return `/etc/systemd/system/${name}.d/lyra-fleet.conf`;
}

/** A unit as systemd and the file system report it. */
export interface ObservedUnit {
  /** The unit file under /etc/systemd/system. */
  unitFile: PathState;
  /** The fleet's drop-in. */
  dropIn: PathState;
  /** LoadState ("loaded", "not-found", ...). */
  loadState: string;
  /** ActiveState ("active", "inactive", "failed", "activating", ...). */
  activeState: string;
  /** SubState ("running", "dead", "waiting", "auto-restart", ...). */
  subState: string;
  /** UnitFileState ("enabled", "disabled", "static", ...). */
  unitFileState: string;
  /** systemd loaded an older version of the unit's files than the disk holds. */
  needsDaemonReload: boolean;
}

/** The desired state of a unit, as the provider receives it. */
export interface DesiredUnit {
  /** Unit file text, or null for a unit its package ships (only state and drop-in are managed). */
  content: string | null;
  /** Drop-in text, or undefined for none. */
  dropIn?: string;
  /** Enabled at boot. */
  enabled: boolean;
  /** Kept running. False leaves running to others (a timer): never started nor stopped. */
  active: boolean;
}

/** What converging a unit will do, in order. */
export interface UnitPlan {
  /** Write /etc/systemd/system/<name> (missing, hand-edited, or replaced by a mask). */
  writeUnitFile: boolean;
  /** Remove our unit file: the unit is now a packaged one (content null). */
  removeUnitFile: boolean;
  /** Write the fleet's drop-in. */
  writeDropIn: boolean;
  /** Remove the fleet's drop-in: no longer declared. */
  removeDropIn: boolean;
  /** `systemctl daemon-reload`: a file changed, or systemd holds an older version. */
  daemonReload: boolean;
  /** `systemctl enable`. */
  enable: boolean;
  /** `systemctl disable`. */
  disable: boolean;
  /** "restart" when a running unit changed, "start" when it is not running, else "none". */
  startAction: "start" | "restart" | "none";
}

/**
 * Unit file states in which enabling or disabling is not ours to do: no [Install] section
 * (static), made by a generator, transient, or enabled through another unit (indirect).
 */
const UNSWITCHABLE_FILE_STATES = ["static", "generated", "transient", "indirect"]; // not a Set: see ssh.ts

/** Whether the unit's enablement is as desired. */
export function enabledMatches(desired: boolean, unitFileState: string): boolean {
  if (UNSWITCHABLE_FILE_STATES.includes(unitFileState)) return true;
  const enabled = unitFileState === "enabled" || unitFileState === "alias";
  return enabled === desired;
}

/** Whether the unit's running state is as desired (active: false leaves it alone). */
export function activeMatches(desired: boolean, activeState: string): boolean {
  return !desired || activeState === "active" || activeState === "reloading";
}

/** True when the unit is absent: our unit file is missing, or systemd does not know the packaged unit. */
export function unitIsAbsent(observed: ObservedUnit, ownsUnitFile: boolean): boolean {
  return ownsUnitFile ? !observed.unitFile.exists : observed.loadState === "not-found";
}

/** Plans the convergence of one unit. `triggersChanged`: a file it depends on changed. */
export function planUnit(
  observed: ObservedUnit,
  desired: DesiredUnit,
  desiredSha256: { unitFile: string; dropIn: string },
  triggersChanged: boolean,
): UnitPlan {
  const unitFile = observed.unitFile;
  const writeUnitFile =
    desired.content !== null &&
    (!unitFile.exists || unitFile.type !== "file" || unitFile.sha256 !== desiredSha256.unitFile);
  // A packaged unit that used to be ours: our copy under /etc would shadow the package's.
  const removeUnitFile = desired.content === null && unitFile.exists && unitFile.type === "file";
  const dropIn = observed.dropIn;
  const writeDropIn =
    desired.dropIn !== undefined &&
    (!dropIn.exists || dropIn.type !== "file" || dropIn.sha256 !== desiredSha256.dropIn);
  const removeDropIn = desired.dropIn === undefined && dropIn.exists;
  const filesChanged = writeUnitFile || removeUnitFile || writeDropIn || removeDropIn;
  const daemonReload = filesChanged || observed.needsDaemonReload;
  const wasRunning = observed.activeState === "active" || observed.activeState === "reloading";
  let startAction: UnitPlan["startAction"] = "none";
  if (desired.active) {
    if (!wasRunning) startAction = "start";
    else if (daemonReload || triggersChanged) startAction = "restart";
  }
  const enabledOk = enabledMatches(desired.enabled, observed.unitFileState);
  return {
    writeUnitFile,
    removeUnitFile,
    writeDropIn,
    removeDropIn,
    daemonReload,
    enable: desired.enabled && !enabledOk,
    disable: !desired.enabled && !enabledOk,
    startAction,
  };
}

/** The `systemctl show` properties a unit's read asks for. */
export const UNIT_SHOW_PROPERTIES = "-p LoadState -p ActiveState -p SubState -p UnitFileState -p NeedDaemonReload";

/** A unit as observed: its two files' states and the KEY=VALUE lines of `systemctl show`. */
export function observedUnit(unitFile: PathState, dropIn: PathState, showLines: readonly string[]): ObservedUnit {
  const show = new Map<string, string>();
  for (const line of showLines) {
    const equals = line.indexOf("=");
    if (equals > 0) show.set(line.slice(0, equals), line.slice(equals + 1));
  }
  return {
    unitFile,
    dropIn,
    loadState: show.get("LoadState") ?? "",
    activeState: show.get("ActiveState") ?? "",
    subState: show.get("SubState") ?? "",
    unitFileState: show.get("UnitFileState") ?? "",
    needsDaemonReload: show.get("NeedDaemonReload") === "yes",
  };
}

/** Parses the output of the read script: two stat lines, then `systemctl show` KEY=VALUE lines. */
export function parseObservedUnit(stdout: string): ObservedUnit {
  const lines = stdout.split("\n");
  return observedUnit(parseStatLine(lines[0]), parseStatLine(lines[1]), lines.slice(2));
}

/** Reads a unit's files and systemd state in one command. */
export async function readUnit(connection: HostConnection, name: string): Promise<ObservedUnit> {
  const script = `${STAT_FUNCTION}
lyra_stat "$2"
lyra_stat "$3"
systemctl show ${UNIT_SHOW_PROPERTIES} -- "$1"`;
  const stdout = await runRemoteChecked(connection, script, {
    purpose: `read ${name}`,
    args: [name, unitFilePath(name), dropInPath(name)],
  });
  return parseObservedUnit(stdout);
}

/**
 * \`lyra_start UNIT ACTION WAIT SETTLE\`: start or restart a unit, then wait until it is active and
 * stays so for a moment (its InvocationID unchanged across the settle time, so a crash loop is not
 * mistaken for success). A unit that failed is started once more: LAB-NOTES saw a first start fail
 * with status=219/CGROUP that a second start cured; failing again, it is given up at once (no
 * Restart= will bring it back). Prints "retried=yes|no" and returns 0; on giving up or on the
 * deadline it prints the state and the last journal lines and returns 3.
 */
export const START_AND_WAIT_FUNCTION = `lyra_start() {
  unit=$1; action=$2; wait=$3; settle=$4
  systemctl "$action" -- "$unit" 2>/dev/null
  began=$(date +%s)
  end=$(( began + wait ))
  retried=no
  gave_up=
  while :; do
    now=$(systemctl show -p ActiveState -p InvocationID -- "$unit" | sort | tr '\\n' ' ')
    case "$now" in
      *ActiveState=active*)
        sleep "$settle"
        [ "$(systemctl show -p ActiveState -p InvocationID -- "$unit" | sort | tr '\\n' ' ')" = "$now" ] &&
          { echo "retried=$retried"; return 0; } ;;
      *ActiveState=failed*)
        if [ "$retried" = no ]; then
          retried=yes
          systemctl reset-failed -- "$unit"
          systemctl start -- "$unit" 2>/dev/null
          continue
        fi
        gave_up=yes ;;
    esac
    if [ -n "$gave_up" ] || [ "$(date +%s)" -ge "$end" ]; then
      if [ -n "$gave_up" ]; then printf '%s' 'failed twice (start and one retry), given up without waiting: '; fi
      systemctl show -p ActiveState -p SubState -p Result -- "$unit" | tr '\\n' ' '
      echo
      journalctl -u "$unit" --since "@$began" -n 15 --no-pager -o short-iso 2>/dev/null
      return 3
    fi
    sleep 0.25
  done
}`;

/** Reload, enable/disable, then start/restart with {@link START_AND_WAIT_FUNCTION}. */
const APPLY_UNIT_SCRIPT = `${START_AND_WAIT_FUNCTION}
unit=$1; reload=$2; enablement=$3; action=$4
if [ "$reload" = yes ]; then systemctl daemon-reload || exit 4; fi
if [ "$enablement" != none ]; then systemctl "$enablement" -- "$unit" || exit 4; fi
if [ "$action" = none ]; then exit 0; fi
lyra_start "$unit" "$action" "$5" "$6"`;

/** Seconds a started unit must stay active (same invocation) before it counts as up. */
export const SETTLE_SECONDS = { service: "1", other: "0" };

/**
 * The error for a unit {@link START_AND_WAIT_FUNCTION} gave up on, from what it printed: its
 * state line, then the last journal lines.
 */
export function unitFailedError(
  connection: HostConnection,
  name: string,
  printed: string,
  startTimeoutSeconds: number | undefined,
  secrets: readonly (string | undefined)[],
): Error {
  const [state, ...journal] = printed.trim().split("\n");
  return hostError(
    connection.host,
    "unit-failed",
    `${describeHost(connection)}: ${name} did not become active (${state?.trim()}; waited at most ` +
      `${startTimeoutSeconds} s). Last journal lines:\n${journal.join("\n") || "(none)"}`,
    secrets,
  );
}

/** Runs the systemctl part of a plan; returns whether a failed first start had to be retried. */
export async function applyUnitPlan(
  connection: HostConnection,
  name: string,
  plan: UnitPlan,
  startTimeoutSeconds: number,
  secrets: readonly (string | undefined)[],
): Promise<{ retried: boolean }> {
  const enablement = plan.enable ? "enable" : plan.disable ? "disable" : "none";
  if (!plan.daemonReload && enablement === "none" && plan.startAction === "none") return { retried: false };
  const settle = name.endsWith(".service") ? SETTLE_SECONDS.service : SETTLE_SECONDS.other;
  const result = await runRemote(connection, APPLY_UNIT_SCRIPT, {
    purpose: `${[plan.daemonReload ? "daemon-reload" : "", enablement === "none" ? "" : enablement, plan.startAction === "none" ? "" : plan.startAction].filter(Boolean).join(", ")} ${name}`,
    args: [name, plan.daemonReload ? "yes" : "no", enablement, plan.startAction, String(startTimeoutSeconds), settle],
    writes: true,
    timeoutMs: (startTimeoutSeconds + 30) * 1000,
    secrets,
  });
  if (result.exitCode === 3) throw unitFailedError(connection, name, result.stdout, startTimeoutSeconds, secrets);
  if (result.exitCode !== 0) {
    throw hostError(
      connection.host,
      "command",
      `${describeHost(connection)}: systemctl for ${name} failed with exit code ${result.exitCode}: ${result.stderr.trim().split("\n").slice(-5).join("\n")}`,
      secrets,
    );
  }
  return { retried: result.stdout.includes("retried=yes") };
}

/**
 * \`lyra_remove_unit UNIT UNIT_FILE DROP_IN OWNS_UNIT_FILE\`: stops and disables a unit, removes
 * the fleet's files for it (its unit file only when "yes") and reloads systemd; on a failed
 * reload prints "UNIT: why" and returns 3. Shared by removeUnit and the host batch.
 */
export const REMOVE_UNIT_FUNCTION = `lyra_remove_unit() {
  systemctl disable --now -- "$1" 2>/dev/null || true
  rm -f -- "$3"
  rmdir -- "$(dirname -- "$3")" 2>/dev/null || true
  if [ "$4" = yes ]; then rm -f -- "$2"; fi
  systemctl daemon-reload || { echo "$1: systemctl daemon-reload failed" >&2; return 3; }
  systemctl reset-failed -- "$1" 2>/dev/null || true
}`;

/** Stops and disables a unit, removes the fleet's files for it and reloads systemd. */
export async function removeUnit(connection: HostConnection, name: string, ownsUnitFile: boolean): Promise<void> {
  await runRemoteChecked(connection, `${REMOVE_UNIT_FUNCTION}\nlyra_remove_unit "$@"`, {
    purpose: `remove ${name}`,
    args: [name, unitFilePath(name), dropInPath(name), ownsUnitFile ? "yes" : "no"],
    writes: true,
  });
}
