/**
 * The docs site, rendered for the host running mkdocs from every host's plan: mkdocs.yml and the
 * pages under /opt/lyra/docs/docs. Pure and deterministic: no dates, hosts in name order, plan
 * lists in the order plan assembly sorted them. Nothing here names a service: what a renderer
 * declares is what the site shows.
 */
import type { FleetModel, Host } from "../../model/fleet";
import type { FleetRenderer } from "../context";
import type { HostPlan, PlanFragment, PlannedDirectory, PlannedFile } from "../plan";
import { maskSecrets } from "../secrets";
import { checksPage } from "./checks";
import { entriesIndexPage } from "./entries";
import { entriesHook, entriesHookPath } from "./entries-hook";
import { hostPage } from "./host-page";
import type { DocsPage } from "./markdown";
import { mkdocsYml, type NavItem } from "./mkdocs-config";
import { overviewPage } from "./overview";
import { docsDir, docsRoot, docsUnit, entriesDir, entriesIndexPath, hostPagePath } from "./paths";
import { recoveryPage } from "./recovery";

const owner = { owner: "root", group: "root" };

/** Every directory of the site, parents first; entries/ exists even before the first record. */
function siteDirectories(): PlannedDirectory[] {
  return [
    docsRoot,
    `${docsRoot}/${docsDir}`,
    `${docsRoot}/${docsDir}/${entriesDir}`,
    `${docsRoot}/${docsDir}/hosts`,
  ].map((path) => ({
    path,
    mode: "0755",
    ...owner,
  }));
}

/**
 * `mkdocs serve` watches its docs directory and rebuilds a changed page by itself, so a page change
 * (a host page naming a new pin) restarts nothing; mkdocs.yml and the hook are read at its start.
 */
function siteFile(path: string, content: string): PlannedFile {
  const page = path.startsWith(`${docsRoot}/${docsDir}/`);
  return { path, content, mode: "0644", ...owner, restarts: page ? [] : [docsUnit] };
}

/** Paths of every file the site declares, known before any page is written (the docs host's page lists them). */
function sitePaths(fleet: FleetModel): string[] {
  const pages = [
    "index.md",
    ...fleet.hosts.map((h) => hostPagePath(h.name)),
    "recovery.md",
    "checks.md",
    entriesIndexPath,
  ];
  return [
    `${docsRoot}/mkdocs.yml`,
    `${docsRoot}/${entriesHookPath}`,
    ...pages.map((p) => `${docsRoot}/${docsDir}/${p}`),
  ];
}

const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

function withoutDuplicates<T extends { path: string }>(items: T[]): T[] {
  return [...new Map(items.map((i) => [i.path, i])).values()].sort(byPath);
}

/**
 * The docs host's plan as it will be once the site is added, so its page lists the site's own
 * files and directories too (paths, modes and restarts only: no page content is needed for that).
 */
function withSite(plan: HostPlan, fleet: FleetModel): HostPlan {
  const files = sitePaths(fleet).map((p) => siteFile(p, ""));
  return {
    ...plan,
    files: withoutDuplicates([...plan.files, ...files]),
    directories: withoutDuplicates([...plan.directories, ...siteDirectories()]),
  };
}

/** The site's pages and mkdocs.yml, as paths relative to the mkdocs project (docsRoot). */
export function renderDocsTree(
  fleet: FleetModel,
  docsHost: Host,
  plans: readonly HostPlan[],
): { path: string; content: string }[] {
  const planByHost = new Map(plans.map((p) => [p.host, p]));
  const sitePlans = fleet.hosts.map((h) => {
    const plan = planByHost.get(h.name);
    if (!plan) throw new Error(`internal: no plan for host '${h.name}' while rendering the docs site`);
    return h.name === docsHost.name ? withSite(plan, fleet) : plan;
  });
  const overview = overviewPage(fleet, sitePlans);
  const hostPages = fleet.hosts.map((h, i) => hostPage(fleet, h, sitePlans[i]));
  const recovery = recoveryPage(fleet, sitePlans);
  const checks = checksPage(fleet, sitePlans);
  const entries = entriesIndexPage(fleet);
  const nav: NavItem[] = [overview, { title: "Hosts", pages: hostPages }, recovery, checks, entries];
  const pages: DocsPage[] = [overview, ...hostPages, recovery, checks, entries];
  // Renderers never hold secret values, but a token in a check or command must not reach a page either.
  return [
    { path: "mkdocs.yml", content: mkdocsYml(fleet, nav) },
    { path: entriesHookPath, content: entriesHook },
    ...pages.map((p) => ({ path: `${docsDir}/${p.path}`, content: maskSecrets(p.content) })),
  ];
}

export const renderDocsSite: FleetRenderer = (fleet, host, plans): PlanFragment => {
  const tree = renderDocsTree(fleet, host, plans);
  const files = tree.map((f) => siteFile(`${docsRoot}/${f.path}`, f.content));
  const declared = sitePaths(fleet);
  if (files.map((f) => f.path).join("\n") !== declared.join("\n")) {
    throw new Error("internal: the docs site's files differ from the paths its host page lists");
  }
  return { directories: siteDirectories(), files };
};
