/**
 * hosts/<name>.md: everything the plan declares for one host, and its runbook commands. Tables are
 * built from the HostPlan field by field, so a unit, check or file a renderer adds shows up here
 * without touching this file.
 */
import type { FleetModel, Host } from "../../model/fleet";
import type { HostPlan, PlannedContainer, PlannedUnit } from "../plan";
import { checkHeader, checkRow, manualCommand } from "./checks";
import { pulumiUp, sshTarget, verifyCommand } from "./facts";
import { code, codeList, link, page, tableOr, text, type DocsPage } from "./markdown";
import { checksPagePath, hostPagePath, recoveryPagePath } from "./paths";
import { shellBlock } from "./shell";

const yesNo = (b: boolean) => (b ? "yes" : "no");

function summary(fleet: FleetModel, host: Host, plan: HostPlan): string {
  const { target, portFlag } = sshTarget(host);
  const items = [
    `role ${code(host.role)}`,
    `address ${code(host.address)}, on the network as ${code(host.fqdn)}`,
    `SSH ${code(`ssh${portFlag} ${target}`)} (host key pinned in the stack file)`,
    `services ${codeList(plan.services)}`,
  ];
  if (plan.serves.length > 0) items.push(`serves the fleet: ${plan.serves.map((r) => text(r.summary)).join("; ")}`);
  return items.map((i) => `- ${i}`).join("\n");
}

function unitRow(unit: PlannedUnit): string[] {
  const file =
    unit.content !== null ? "written by lyra-fleet" : unit.dropIn ? "packaged, with a lyra-fleet drop-in" : "packaged";
  return [
    code(unit.name),
    text(file),
    yesNo(unit.enabled),
    yesNo(unit.active),
    yesNo(unit.longRunning),
    codeList(unit.after.map((p) => p.label)),
  ];
}

function containerRow(c: PlannedContainer): string[] {
  const ports = c.ports.map((p) => `${p.host}->${p.container}/${p.protocol}`);
  const mounts = c.mounts.map((m) => `${m.source}:${m.target}${m.readOnly ? ":ro" : ""}`);
  return [code(c.name), code(c.image), codeList(ports), codeList(mounts), code(c.restart)];
}

function checksSection(fleet: FleetModel, plan: HostPlan): string {
  const byHand = plan.checks.flatMap((c) => {
    const cmd = manualCommand(c);
    return cmd === undefined ? [] : [`# ${c.name}`, cmd];
  });
  return page([
    "## Health checks",
    `The checks verify runs for ${code(plan.host)} (all hosts: ${link("Checks", hostPagePath(plan.host), checksPagePath)}):`,
    shellBlock("operator", [verifyCommand(fleet, `--host ${plan.host}`)]),
    tableOr(checkHeader, plan.checks.map(checkRow), "No health checks declared."),
    byHand.length > 0 && `By hand, on ${code(plan.host)}:`,
    byHand.length > 0 && shellBlock({ host: plan.host }, byHand),
  ]).trimEnd();
}

function recoverySection(fleet: FleetModel, plan: HostPlan): string {
  const steps = plan.recovery.flatMap((r) => [
    `### ${text(r.service)}`,
    shellBlock({ host: plan.host }, r.commands),
    ...(r.operatorCommands ? [shellBlock("operator", r.operatorCommands)] : []),
  ]);
  return page([
    "## Recovery",
    `The runbook's commands for each service on ${code(plan.host)}, each block headed by where it runs: on the host as root, or on the operator's machine. When a service will not come back, ` +
      `${code(pulumiUp(fleet))} converges the host to its declared state; the fleet-wide scenarios are in ` +
      `${link("Recovery", hostPagePath(plan.host), recoveryPagePath)}.`,
    steps.length > 0 ? steps.join("\n\n") : "_No recovery commands declared._",
  ]).trimEnd();
}

export function hostPage(fleet: FleetModel, host: Host, plan: HostPlan): DocsPage {
  const path = hostPagePath(host.name);
  return {
    path,
    title: host.name,
    content: page([
      `# ${host.name}`,
      summary(fleet, host, plan),
      "## Services",
      tableOr(
        ["service", "ports"],
        plan.services.map((s) => [
          code(s),
          codeList(plan.ports.filter((p) => p.service === s).map((p) => `${p.port}/${p.protocol}`)),
        ]),
        "No services.",
      ),
      "## Ports",
      tableOr(
        ["port", "protocol", "service"],
        plan.ports.map((p) => [code(p.port), text(p.protocol), code(p.service)]),
        "No listening ports declared.",
      ),
      "## Units",
      tableOr(
        ["unit", "unit file", "enabled", "active", "long-running", "starts after"],
        plan.units.map(unitRow),
        "No systemd units declared.",
      ),
      "## Containers",
      tableOr(
        ["container", "image", "ports (host->container)", "mounts", "restart"],
        plan.containers.map(containerRow),
        "No containers.",
      ),
      "## Debian packages",
      plan.packages.length > 0 ? codeList(plan.packages) : "_No packages declared._",
      "## Release artifacts",
      "Apps Debian does not package: `pulumi up` fetches each release from the first source that answers, checks its " +
        "sha256, installs it into its own versioned directory and restarts the units listed. A pin change installs the " +
        "new release beside the old one; pinning back runs the old one again.",
      tableOr(
        ["app", "version", "installed in", "sha256", "sources", "restarts"],
        plan.artifacts.map((a) => [
          code(a.key),
          code(a.version),
          code(a.installDir),
          code(a.sha256),
          codeList(a.urls),
          codeList(a.restarts),
        ]),
        "No release artifacts.",
      ),
      "## Files managed",
      "Edits on the host are reverted by the next `pulumi up`; a change restarts the units listed.",
      tableOr(
        ["path", "mode", "owner", "restarts"],
        plan.files.map((f) => [code(f.path), code(f.mode), code(`${f.owner}:${f.group}`), codeList(f.restarts)]),
        "No files declared.",
      ),
      tableOr(
        ["directory", "mode", "owner"],
        plan.directories.map((d) => [code(d.path), code(d.mode), code(`${d.owner}:${d.group}`)]),
        "No directories declared.",
      ),
      checksSection(fleet, plan),
      recoverySection(fleet, plan),
    ]),
  };
}
