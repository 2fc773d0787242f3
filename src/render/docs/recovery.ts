/**
 * recovery.md: the runbook's scenarios. The order, hosts, commands and timings are read from the
 * model and the plans (the broker's commands are whatever the broker's renderer declares), so the
 * page follows the stack when a service moves.
 */
import type { FleetModel } from "../../model/fleet";
import { registrationTopics } from "../../model/topics";
import { asMonitor } from "../../services/mqtt-broker/mosquitto-config";
import type { HealthCheck, HostPlan } from "../plan";
import { expectation } from "./checks";
import { hubOf, planOf, powerStages, pulumiUp, stackName, verifyCommand } from "./facts";
import { code, codeBlock, link, page, tableOr, text, type DocsPage } from "./markdown";
import { checksPagePath, entriesIndexPath, hostPagePath, recoveryPagePath } from "./paths";
import { emergencySection, mirrorRebuildSection, nasRestoreSection } from "./rebuild";
import { brokerOf } from "../../services/mqtt-broker/placement";

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
  const watch = registered
    ? [
        `By hand, on ${code(brokerOf(fleet).host)}, ${code(`${asMonitor} mosquitto_sub -t '${registrationTopics}' -v`)} lists each mirror's retained`,
        `registration (${code('"online":true')}) or its last will (${code('"online":false')}), one topic per mirror: only that mirror's MQTT user may publish there.`,
      ].join(" ")
    : undefined;
  // The runbook's "mirror UI shows presence within 10 s" has no check here (verify cannot see a
  // screen): it is left to the operator, and said so, rather than promised.
  const byEye =
    "Not checked by verify: that each mirror's screen shows presence again within 10 s of its heartbeat (the runbook's target); look at each mirror.";
  return page([
    `Verify: ${code(verifyCommand(fleet, "--watch"))} runs every check until all pass and reports the time to recovery. It checks that`,
    lines.join("\n"),
    ...(watch ? [watch] : []),
    byEye,
  ]).trimEnd();
}

function powerSection(fleet: FleetModel, plans: readonly HostPlan[]): string {
  const stages = powerStages(fleet).map((stage, i) => {
    const hosts = stage.hosts.map((h) => `${hostLink(h.name)} (${code(h.address)})`).join(", ");
    // MQTT checks wait for later stages (a mirror's heartbeat); the host's own checks gate the next stage.
    const checks = stage.hosts.flatMap((h) => (planOf(plans, h.name)?.checks ?? []).filter((c) => !isMqtt(c)));
    const ups = stage.hosts
      .filter((h) => h.services.ups)
      .map((h) => code(`upsc ${h.services.ups!.name}@localhost`) + ` on ${code(h.name)}`);
    const their = stage.hosts.length === 1 ? "its" : "their";
    const wait =
      checks.length > 0
        ? ` Wait until ${their} unit, container, HTTP and command checks pass (${checks.length}, on the host ${stage.hosts.length === 1 ? "page" : "pages"}) before going on.`
        : ` Wait until ${stage.hosts.length === 1 ? "it answers" : "they answer"} SSH.`;
    const power = ups.length > 0 ? ` Check the UPS first: ${ups.join(", ")}.` : "";
    return `${i + 1}. Power on the ${text(stage.label)}: ${hosts}; ${text(stage.why)}.${power}${wait}`;
  });
  const n = stages.length;
  return page([
    "## Power recovery",
    "After a power cut, bring the fleet back in this order:",
    stages.join("\n") +
      `\n${n + 1}. From the operator's machine, converge every host: whatever the cut left half-written or stopped is repaired.` +
      `\n${n + 2}. Verify (below).`,
    codeBlock([`pulumi preview --stack ${stackName(fleet)}   # what differs after the cut`, pulumiUp(fleet)], "sh"),
    verification(fleet, plans),
  ]).trimEnd();
}

function brokerSection(fleet: FleetModel, plans: readonly HostPlan[]): string {
  const broker = hubOf(fleet).broker;
  const plan = planOf(plans, broker.name);
  const containers = (plan?.containers ?? []).map((c) => [code(c.name), code(c.image), code(c.restart)]);
  const steps = (plan?.recovery ?? []).filter((r) => r.service === "mqtt-broker");
  const mqttChecks = plans.flatMap((p) =>
    p.checks.filter(isMqtt).map((c) => `- ${code(c.name)} on ${hostLink(p.host)}: ${expectation(c)}`),
  );
  return page([
    "## Broker failure",
    `The broker runs on ${hostLink(broker.name)} (${code(broker.address)}), port ${code(brokerOf(fleet).port)}, as ` +
      `${brokerOf(fleet).mode === "docker" ? "a Docker container" : "a systemd service"}. While it is down the mirrors are in ` +
      "emergency mode (below) and no heartbeats arrive.",
    brokerOf(fleet).mode === "docker" &&
      tableOr(["container", "image", "restart"], containers, `No container declared on ${broker.name} yet.`),
    `On ${code(broker.name)}, the runbook's commands:`,
    steps.length > 0
      ? steps.map((s) => codeBlock(s.commands, "sh")).join("\n\n")
      : "_The broker's renderer declares no recovery commands._",
    `If the broker does not come back (container or unit gone, config edited), ${code(pulumiUp(fleet))} recreates it from ` +
      `the stack. Then verify the checks through the broker with ${code(verifyCommand(fleet, "--only mqtt --watch"))}:`,
    mqttChecks.length > 0 ? mqttChecks.join("\n") : "_No MQTT checks declared._",
  ]).trimEnd();
}

function escalationSection(fleet: FleetModel): string {
  const broker = hubOf(fleet).broker;
  return page([
    "## Escalation path",
    "Go one step further only when the step before did not make every check pass:",
    [
      "1. Self-healing: units and containers with a restart policy come back on their own; wait a minute and check again.",
      "2. The runbook's commands for the failing service, on its host page.",
      `3. Converge: ${code(`pulumi preview --stack ${stackName(fleet)}`)} shows what differs from the stack, ` +
        `${code(pulumiUp(fleet))} repairs it. An unreachable host fails alone, named in the output.`,
      `4. The scenario above that matches: the broker on ${code(broker.name)}, a mirror rebuild, a NAS restore.`,
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
      brokerSection(fleet, plans),
      mirrorRebuildSection(fleet),
      nasRestoreSection(fleet, plans),
      emergencySection(fleet),
      escalationSection(fleet),
    ]),
  };
}
