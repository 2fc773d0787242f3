/**
 * recovery.md: the runbook's scenarios. The order, hosts, commands and timings are read from the
 * model and the plans (the broker's commands are whatever the broker's renderer declares), so the
 * page follows the stack when a service moves.
 */
import type { FleetModel } from "../../model/fleet";
import { serviceLabel, type HealthCheck, type HostPlan, type RecoveryScenario, type RecoveryStep } from "../plan";
import { expectation } from "./checks";
import { brokerIn, planOf, powerStages, pulumiUp, stackName, verifyCommand } from "./facts";
import { code, link, page, tableOr, text, type DocsPage } from "./markdown";
import { checksPagePath, entriesIndexPath, hostPagePath, recoveryPagePath } from "./paths";
import { emergencySection, mirrorRebuildSection, nasRestoreSection } from "./rebuild";
import { shellBlock } from "./shell";

const here = recoveryPagePath;
const hostLink = (name: string) => link(name, here, hostPagePath(name));

// Checks through the broker (round trip, heartbeats, health, registration): they need the whole chain up.
const isMqtt = (c: HealthCheck) => c.kind.startsWith("mqtt-");

function verification(fleet: FleetModel, plans: readonly HostPlan[]): string {
  const fresh = plans.flatMap((p) =>
    p.checks
      .filter((c) => c.kind === "mqtt-fresh" || c.kind === "mqtt-registered")
      .map((c) => `${expectation(c)} (${code(p.host)})`),
  );
  const http = plans.flatMap((p) => p.checks.filter((c) => c.kind === "http").map((c) => expectation(c)));
  const lines = [
    `- every check on ${link("Checks", here, checksPagePath)} passes (the command runs exactly that list);`,
    ...http.map((e) => `- ${e};`),
    ...fresh.map((e) => `- ${e};`),
  ];
  lines[lines.length - 1] = lines[lines.length - 1].replace(/;$/, ".");
  const registered = plans.some((p) => p.checks.some((c) => c.kind === "mqtt-registered"));
  const broker = brokerIn(plans);
  const watch =
    registered && broker.watchRegistrations
      ? [
          `By hand, on ${code(broker.host)}, this lists each mirror's retained registration (${code('"online":true')}) ` +
            `or its last will (${code('"online":false')}), one topic per mirror: only that mirror's MQTT user may publish there.`,
          shellBlock({ host: broker.host }, [broker.watchRegistrations]),
        ]
      : [];
  // The runbook's "mirror UI shows presence within 10 s" has no check here (verify cannot see a
  // screen): it is left to the operator, and said so, rather than promised.
  const byEye =
    "Not checked by verify: that each mirror's screen shows presence again within 10 s of its heartbeat (the runbook's target); look at each mirror.";
  return page([
    "Verify: this runs every check until all pass and reports the time to recovery.",
    shellBlock("operator", [verifyCommand(fleet, "--watch")]),
    "It checks that",
    lines.join("\n"),
    ...watch,
    byEye,
  ]).trimEnd();
}

function powerSection(fleet: FleetModel, plans: readonly HostPlan[]): string {
  const stages = powerStages(fleet, plans).map((stage, i) => {
    const hosts = stage.hosts.map((h) => `${hostLink(h.name)} (${code(h.address)})`).join(", ");
    // MQTT checks wait for later stages (a mirror's heartbeat); the host's own checks gate the next stage.
    const checks = stage.hosts.flatMap((h) => (planOf(plans, h.name)?.checks ?? []).filter((c) => !isMqtt(c)));
    // What its services say to check before going on (the UPS), grouped by what it is.
    const powerOn = stage.hosts.flatMap((h) =>
      (planOf(plans, h.name)?.recovery ?? []).flatMap((r) => (r.powerOn ? [{ host: h.name, ...r.powerOn }] : [])),
    );
    const their = stage.hosts.length === 1 ? "its" : "their";
    const wait =
      checks.length > 0
        ? ` Wait until ${their} unit, container, HTTP and command checks pass (${checks.length}, on the host ${stage.hosts.length === 1 ? "page" : "pages"}) before going on.`
        : ` Wait until ${stage.hosts.length === 1 ? "it answers" : "they answer"} SSH.`;
    const power = [...new Set(powerOn.map((p) => p.what))]
      .map(
        (what) =>
          ` Check ${text(what)} first: ${powerOn
            .filter((p) => p.what === what)
            .map((p) => `${code(p.command)} on ${code(p.host)}`)
            .join(", ")}.`,
      )
      .join("");
    return `${i + 1}. Power on the ${text(stage.label)}: ${hosts}; ${text(stage.why)}.${power}${wait}`;
  });
  const n = stages.length;
  return page([
    "## Power recovery",
    "After a power cut, bring the fleet back in this order:",
    stages.join("\n") +
      `\n${n + 1}. From the operator's machine, converge every host: whatever the cut left half-written or stopped is repaired.` +
      `\n${n + 2}. Verify (below).`,
    shellBlock("operator", [
      `pulumi preview --stack ${stackName(fleet)}   # what differs after the cut`,
      pulumiUp(fleet),
    ]),
    verification(fleet, plans),
  ]).trimEnd();
}

/** The scenarios services write about themselves (the broker's "Broker failure"), each on its host. */
function serviceScenarios(fleet: FleetModel, plans: readonly HostPlan[]): string[] {
  return plans.flatMap((plan) =>
    plan.recovery.flatMap(({ scenario, ...step }) =>
      scenario ? [scenarioSection(fleet, plans, plan, { ...step, scenario })] : [],
    ),
  );
}

function scenarioSection(
  fleet: FleetModel,
  plans: readonly HostPlan[],
  plan: HostPlan,
  step: RecoveryStep & { scenario: RecoveryScenario },
): string {
  const { scenario } = step;
  const containers = plan.containers
    .filter((c) => c.labels[serviceLabel] === step.service)
    .map((c) => [code(c.name), code(c.image), code(c.restart)]);
  const proofs = plans.flatMap((p) =>
    p.checks
      .filter((c) => scenario.verify.kinds.includes(c.kind))
      .map((c) => `- ${code(c.name)} on ${hostLink(p.host)}: ${expectation(c)}`),
  );
  return page([
    `## ${text(scenario.title)}`,
    `On ${hostLink(plan.host)} (${code(plan.connection.address)}): ${scenario.situation}`,
    containers.length > 0 && tableOr(["container", "image", "restart"], containers, ""),
    `On ${code(plan.host)}, the runbook's commands:`,
    shellBlock({ host: plan.host }, step.commands),
    step.operatorCommands && shellBlock("operator", step.operatorCommands),
    `If it does not come back (${scenario.gone}), ${code(pulumiUp(fleet))} recreates it from the stack. ` +
      "Then verify; it runs these checks until they pass:",
    shellBlock("operator", [verifyCommand(fleet, `--only ${scenario.verify.only} --watch`)]),
    proofs.length > 0 ? proofs.join("\n") : "_No such checks declared._",
  ]).trimEnd();
}

function escalationSection(fleet: FleetModel, plans: readonly HostPlan[]): string {
  const scenarios = plans.flatMap((plan) =>
    plan.recovery.flatMap((step) =>
      step.scenario ? [`${text(step.scenario.title.toLowerCase())} (on ${code(plan.host)})`] : [],
    ),
  );
  return page([
    "## Escalation path",
    "Go one step further only when the step before did not make every check pass:",
    [
      "1. Self-healing: units and containers with a restart policy come back on their own; wait a minute and check again.",
      "2. The runbook's commands for the failing service, on its host page.",
      `3. Converge: ${code(`pulumi preview --stack ${stackName(fleet)}`)} shows what differs from the stack, ` +
        `${code(pulumiUp(fleet))} repairs it. An unreachable host fails alone, named in the output.`,
      `4. The scenario above that matches: ${[...scenarios, "a mirror rebuild", "a NAS restore"].join(", ")}.`,
      `5. Record what failed, what was done and how it was verified: ${link("Incident records", here, entriesIndexPath)}.`,
    ].join("\n"),
  ]).trimEnd();
}

export function recoveryPage(fleet: FleetModel, plans: readonly HostPlan[]): DocsPage {
  return {
    path: here,
    title: "Recovery",
    content: page([
      "# Recovery scenarios",
      `Each scenario ends with ${code(pulumiUp(fleet))} and the verification; the per-service commands are on each host's page.`,
      powerSection(fleet, plans),
      ...serviceScenarios(fleet, plans),
      mirrorRebuildSection(fleet, plans),
      nasRestoreSection(fleet, plans),
      emergencySection(fleet, plans),
      escalationSection(fleet, plans),
    ]),
  };
}
