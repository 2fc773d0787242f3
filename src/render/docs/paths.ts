/** Where the site lives on the docs host and where each page sits in it (one place, so links agree). */

/** The mkdocs project on the docs host: mkdocs.yml here, pages under docs/. */
export const docsRoot = "/opt/lyra/docs";
/** mkdocs' docs_dir, relative to docsRoot. */
export const docsDir = "docs";
/** The unit serving the site; restarted when a page changes. */
export const docsUnit = "mkdocs.service";

export const overviewPagePath = "index.md";
export const recoveryPagePath = "recovery.md";
export const checksPagePath = "checks.md";
export const entriesIndexPath = "entries/index.md";
/** The record command writes incident entries here, one file per entry, never listed in the nav. */
export const entriesDir = "entries";

export function hostPagePath(host: string): string {
  return `hosts/${host}.md`;
}
