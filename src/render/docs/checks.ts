/**
 * checks.md, and how one health check reads in a table. The rows come straight from plan.checks,
 * the list the verify command runs, so the site and the command cannot disagree.
 */
import type { FleetModel } from "../../model/fleet";
import type { HealthCheck, HostPlan } from "../plan";
import { code, link, page, tableOr, text, type DocsPage } from "./markdown";
import { brokerIn, verifyCommand } from "./facts";
import { checksPagePath, hostPagePath } from "./paths";
import { shellBlock } from "./shell";
import { retryWaitSeconds } from "../systemd";

/** What passing means for a check, as Markdown. */
export function expectation(check: HealthCheck): string {
  switch (check.kind) {
    case "http":
      return `${code(`GET ${check.url}`)} answers ${code(check.expectStatus)}`;
    case "unit":
      // What src/verify/check-unit.ts checks: systemd's Result=success alone is also true of a unit that never ran.
      if (check.unit.endsWith(".timer")) {
        return `${code(check.unit)} is active, has triggered at least once, and its service has finished a run with ${code("Result=success")} (a run that failed and that systemd runs again is waited for, up to ${retryWaitSeconds} s)`;
      }
      if (check.unit.endsWith(".service")) {
        return `${code(check.unit)} is active (not still starting or restarting) and its main process has started (${code("ExecMainStartTimestampMonotonic")} is set)`;
      }
      return `${code(check.unit)} is active (not still starting)`;
    case "container":
      return `container ${code(check.container)} is running and its healthcheck says ${code("healthy")} (not ${code("starting")}; no healthcheck fails)`;
    case "mqtt-roundtrip":
      return `a message published to ${code(check.topic)} comes back`;
    case "mqtt-fresh":
      return `a message on ${code(check.topic)} within ${check.withinSeconds} s`;
    case "mqtt-registered":
      return `${code(check.client)} registered online on ${code(check.topic)} (retained, or within ${check.withinSeconds} s)`;
    case "command":
      return `${code(check.command)} exits 0`;
  }
}

/** The command an operator runs by hand on the host to see the same thing (none for MQTT checks). */
export function manualCommand(check: HealthCheck): string | undefined {
  switch (check.kind) {
    case "http":
      return `curl -fsS -o /dev/null -w '%{http_code}\\n' ${check.url}`;
    case "unit":
      return check.unit.endsWith(".timer")
        ? `systemctl list-timers --all ${check.unit}; systemctl show -p Result,ExecMainExitTimestamp ${check.unit.replace(/\.timer$/, ".service")}`
        : `systemctl show -p ActiveState,SubState,ExecMainStartTimestamp ${check.unit}`;
    case "container":
      return `docker inspect -f '{{.State.Status}}{{if .State.Health}} {{.State.Health.Status}}{{end}}' ${check.container}`;
    case "command":
      return check.command;
    default:
      return undefined;
  }
}

export const checkHeader = ["check", "kind", "passes when"] as const;

export function checkRow(check: HealthCheck): string[] {
  return [code(check.name), text(check.kind), expectation(check)];
}

export function checksPage(fleet: FleetModel, plans: readonly HostPlan[]): DocsPage {
  const rows = plans.flatMap((plan) =>
    plan.checks.map((check) => [link(plan.host, checksPagePath, hostPagePath(plan.host)), ...checkRow(check)]),
  );
  const total = rows.length;
  const broker = brokerIn(plans);
  return {
    path: checksPagePath,
    title: "Checks",
    content: page([
      "# Health checks",
      `Every check of every host, ${total === 1 ? "1 check" : `${total} checks`} in all. This is the list the verify command runs ` +
        "after a recovery (taken from the same host plans), so a check shown here is a check that runs.",
      `Run them all (${code("--watch")} repeats until every check passes, ${code("--host")} and ${code("--only")} narrow it):`,
      shellBlock("operator", [verifyCommand(fleet)]),
      `MQTT checks connect to the broker on ${code(broker.host)} port ${code(broker.port)} as the ${code(broker.user)} user.`,
      tableOr(["host", ...checkHeader], rows, "No host declares a health check yet."),
      "Each host's page lists its checks again, with the commands that show the same thing by hand.",
    ]),
  };
}
