/**
 * mkdocs.yml. The theme is one Debian's `mkdocs` package ships (readthedocs), so the docs host
 * needs no optional package. Scalars are written as JSON strings, which YAML reads verbatim.
 */
import type { FleetModel } from "../../model/fleet";
import type { DocsPage } from "./markdown";
import { entriesHookPath } from "./entries-hook";
import { docsDir } from "./paths";

export interface NavSection {
  title: string;
  pages: readonly DocsPage[];
}

/** A nav entry is a page (listed directly) or a section of pages. */
export type NavItem = DocsPage | NavSection;

const q = (s: string) => JSON.stringify(s);

export function mkdocsYml(fleet: FleetModel, nav: readonly NavItem[]): string {
  const lines = [
    "# Managed by lyra-fleet: generated from the stack, edits are reverted by `pulumi up`.",
    `site_name: ${q(`Lyra fleet runbook (${fleet.site.domain})`)}`,
    `docs_dir: ${q(docsDir)}`,
    "theme:",
    `  name: ${q("readthedocs")}`,
    // Lists the incident records on entries/index.md at every build (see ./entries-hook.ts).
    "hooks:",
    `  - ${q(entriesHookPath)}`,
    "nav:",
  ];
  for (const item of nav) {
    if ("pages" in item) {
      lines.push(`  - ${q(item.title)}:`);
      for (const p of item.pages) lines.push(`      - ${q(p.title)}: ${q(p.path)}`);
    } else {
      lines.push(`  - ${q(item.title)}: ${q(item.path)}`);
    }
  }
  return lines.join("\n") + "\n";
}
