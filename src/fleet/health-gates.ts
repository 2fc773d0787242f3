/**
 * Health gates: after a host converges, a check run on it over SSH (a HealthGate) polls until a
 * deadline that its units are active and its HTTP checks answer. A failing gate fails `pulumi up`
 * with the host and the check in the message.
 */
import type * as pulumi from "@pulumi/pulumi";
import { HealthGate, type HostConnectionInputs } from "../host/resources";
import type { HostPlan } from "../render/plan";

/**
 * Poll `check` (a shell condition) until it holds or `seconds` pass; then fail naming it, followed
 * by what `why` prints (indented), so the failure says its cause without a second login.
 */
export function pollScript(label: string, check: string, seconds: number, why?: string): string {
  const quotedLabel = label.replace(/'/g, "'\\''");
  const cause = why === undefined ? "" : `; { ${why}; } 2>&1 | sed 's/^/    /' >&2`;
  return [
    `deadline=$(( $(date +%s) + ${seconds} ))`,
    `until ${check}; do`,
    `  if [ "$(date +%s)" -ge "$deadline" ]; then echo '${quotedLabel}: still failing after ${seconds} s' >&2${cause}; exit 1; fi`,
    "  sleep 2",
    "done",
    `echo 'ok: ${quotedLabel}'`,
  ].join("\n");
}

/** A unit's state and its last journal lines: what `systemctl status` would tell the operator. */
export function unitCause(unit: string): string {
  return [
    `systemctl show -p ActiveState -p SubState -p Result ${unit} | tr '\\n' ' '; echo`,
    `journalctl -u ${unit} -n 5 --no-pager -o cat`,
  ].join("; ");
}

/**
 * The gate script for one host: every long-running unit active, every timer's service run once
 * with success (unless its first run comes later: a nightly backup), every HTTP check 200.
 */
export function hostGateScript(plan: HostPlan, seconds = 90): string {
  const parts: string[] = ["set -u"];
  for (const unit of plan.units.filter((u) => u.active && u.longRunning)) {
    const active = `systemctl is-active --quiet ${unit.name}`;
    parts.push(pollScript(`${plan.host}: ${unit.name} active`, active, seconds, unitCause(unit.name)));
  }
  // A timer's first run comes when the timer starts (the converge, or boot): a host is ready when
  // each timer's service has finished a run and it succeeded (a rebuilt mirror has its config).
  for (const timer of plan.units.filter((u) => u.active && u.name.endsWith(".timer") && !u.firstRunLater)) {
    const service = timer.name.replace(/\.timer$/, ".service");
    const ran = `[ "$(systemctl show -P ExecMainExitTimestampMonotonic ${service})" != 0 ] && [ "$(systemctl show -P Result ${service})" = success ]`;
    parts.push(pollScript(`${plan.host}: ${service} ran and succeeded`, ran, seconds, unitCause(service)));
  }
  for (const check of plan.checks) {
    if (check.kind !== "http") continue;
    // Checked from the host itself: the gate proves the service, not the operator's network.
    const local = check.url.replace(/^http:\/\/[^/:]+/, "http://127.0.0.1");
    const probe = `[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 ${local})" = "${check.expectStatus}" ]`;
    parts.push(pollScript(check.name, probe, seconds));
  }
  return parts.join("\n");
}

/**
 * What of a plan the host and its gate act on: all of it but the recovery steps, which are the
 * docs' and name the rest of the fleet (a watch waits for one message per mirror), so a mirror
 * added elsewhere does not re-run every other host's gate.
 */
export function gatedPlan(plan: HostPlan): Omit<HostPlan, "recovery"> {
  const { recovery: _docs, ...acted } = plan;
  return acted;
}

export interface HealthGateArgs {
  plan: HostPlan;
  connection: pulumi.Input<HostConnectionInputs>;
  /** Re-run the gate whenever these change (the host's converged resources). */
  triggers: pulumi.Input<string>[];
}

export function healthGate(name: string, args: HealthGateArgs, opts: pulumi.CustomResourceOptions): HealthGate {
  return new HealthGate(
    name,
    { connection: args.connection, label: "health", script: hostGateScript(args.plan), triggers: args.triggers },
    opts,
  );
}
