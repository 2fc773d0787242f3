/**
 * Health gates: after a host converges, a check run on it over SSH (a HealthGate) polls until a
 * deadline that its units are active and its HTTP checks answer. A failing gate fails `pulumi up`
 * with the host and the check in the message.
 */
import { shellQuote } from "../host/transport/shell";
import type { HostPlan } from "../render/plan";

/**
 * The functions every host's gate calls, defined once at the top of its script. Each check is then
 * one line naming what it waits for, so a mirror's gate is well under half the script it was when
 * every check spelled out its loop (4.6 KB; at 1000 mirrors 4.6 MB that every `pulumi preview`
 * carried through the program, the engine and the provider).
 *
 * `poll LABEL CAUSE CHECK [ARG...]` runs CHECK every 2 s until it holds or SECONDS pass, then fails
 * naming LABEL, followed (indented) by the state and last journal lines of the unit CAUSE names,
 * if any: the failure says its cause without a second login.
 */
function gateFunctions(host: string, seconds: number): string {
  return [
    "set -u",
    `host=${word(host)} seconds=${seconds}`,
    "poll() {",
    "  label=$1 cause=$2; shift 2",
    "  deadline=$(( $(date +%s) + seconds ))",
    '  until "$@"; do',
    '    if [ "$(date +%s)" -ge "$deadline" ]; then',
    '      echo "$label: still failing after $seconds s" >&2',
    `      [ -z "$cause" ] || unit_cause "$cause" 2>&1 | sed 's/^/    /' >&2`,
    "      exit 1",
    "    fi",
    "    sleep 2",
    "  done",
    '  echo "ok: $label"',
    "}",
    // What `systemctl status` would tell the operator.
    `unit_cause() { systemctl show -p ActiveState -p SubState -p Result "$1" | tr '\\n' ' '; echo; journalctl -u "$1" -n 5 --no-pager -o cat; }`,
    'unit_active() { poll "$host: $1 active" "$1" systemctl is-active --quiet "$1"; }',
    'ran_ok() { [ "$(systemctl show -P ExecMainExitTimestampMonotonic "$1")" != 0 ] && [ "$(systemctl show -P Result "$1")" = success ]; }',
    'service_ran() { poll "$host: $1 ran and succeeded" "$1" ran_ok "$1"; }',
    `answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1")" = "$2" ]; }`,
    `http_answers() { poll "$1" '' answers "$2" "$3"; }`,
  ].join("\n");
}

/** A word of a gate script, quoted only when the shell would otherwise read it differently. */
function word(text: string): string {
  return /^[\w.:/@%+=,-]+$/.test(text) ? text : shellQuote(text);
}

/** What one host's gate waits for, each in turn. */
export interface GateChecks {
  /** Units that must be active (long-running services). */
  active: string[];
  /** Services that must have run once and succeeded (those of timers). */
  ran: string[];
  /** URLs, on the host itself, that must answer with the status, each under its label. */
  http: { label: string; url: string; status: number }[];
}

/** A gate script for `host` that polls each check in turn, each for up to `seconds`. */
export function gateScript(host: string, checks: GateChecks, seconds: number): string {
  return [
    gateFunctions(host, seconds),
    ...checks.active.map((unit) => `unit_active ${word(unit)}`),
    ...checks.ran.map((service) => `service_ran ${word(service)}`),
    ...checks.http.map((c) => `http_answers ${word(c.label)} ${word(c.url)} ${c.status}`),
  ].join("\n");
}

/**
 * The checks of one host's gate: every long-running unit active, every timer's service run once
 * with success (unless its first run comes later: a nightly backup), every HTTP check answering
 * with its status.
 */
export function hostGateChecks(plan: HostPlan): GateChecks {
  return {
    active: plan.units.filter((u) => u.active && u.longRunning).map((u) => u.name),
    // A timer's first run comes when the timer starts (the converge, or boot): a host is ready when
    // each timer's service has finished a run and it succeeded (a rebuilt mirror has its config).
    ran: plan.units
      .filter((u) => u.active && u.name.endsWith(".timer") && !u.firstRunLater)
      .map((timer) => timer.name.replace(/\.timer$/, ".service")),
    // Checked from the host itself: the gate proves the service, not the operator's network.
    http: plan.checks.flatMap((check) =>
      check.kind === "http"
        ? [
            {
              label: check.name,
              url: check.url.replace(/^http:\/\/[^/:]+/, "http://127.0.0.1"),
              status: check.expectStatus,
            },
          ]
        : [],
    ),
  };
}

/** The gate script for one host (see hostGateChecks). */
export function hostGateScript(plan: HostPlan, seconds = 90): string {
  return gateScript(plan.host, hostGateChecks(plan), seconds);
}

/**
 * What of a plan its gate re-runs for, beyond its host's state: not what the state carries
 * (packages, artifacts, directories, files, units, the apt proxy: a change there updates the state,
 * which runs the gate in its apply, or re-runs a gate of its own through the state's converged
 * digest), nor the recovery steps, which are the
 * docs' and name the rest of the fleet (a watch waits for one message per mirror). What is left is
 * small (its checks, containers, ports, connection): hashing the whole plan took 0.19 s of a
 * 1000-mirror program, most of it lyra's 18 MB docs site. (A mirror added still runs every broker
 * client's gate again: the broker's host changes, its passwd and ACL name the new mirror.)
 */
export function gatedPlan(plan: HostPlan) {
  const {
    recovery: _docs,
    packages: _packages,
    artifacts: _artifacts,
    directories: _directories,
    files: _files,
    units: _units,
    unitOrder: _unitOrder,
    aptProxy: _aptProxy,
    ...gated
  } = plan;
  return gated;
}
