/**
 * entries/index.md: the incident records section. The record command adds one file per incident
 * beside it; those files are deliberately not in the nav (mkdocs 1.4 only logs an INFO for pages
 * outside the nav, even with --strict), so adding one never needs mkdocs.yml to change.
 */
import type { FleetModel } from "../../model/fleet";
import { pulumiUp } from "./facts";
import { code, codeBlock, link, page, type DocsPage } from "./markdown";
import { checksPagePath, entriesDir, entriesIndexPath, recoveryPagePath } from "./paths";

export function entriesIndexPage(fleet: FleetModel): DocsPage {
  const here = entriesIndexPath;
  return {
    path: here,
    title: "Incident records",
    content: page([
      "# Incident records",
      `One file per day in ${code(`${entriesDir}/`)}, named ${code("YYYY-MM-DD-runbook.md")}; each incident recorded ` +
        `that day is a section of it. ${code("npm run record")} writes them; they are kept ` +
        `on the docs host and are not part of the stack, so ${code(pulumiUp(fleet))} never removes them.`,
      "Entries are not in the navigation: they are listed below (newest first), found by the site search, and at " +
        `${code(`${entriesDir}/YYYY-MM-DD-runbook/`)}.`,
      "## Format",
      codeBlock(
        [
          "# YYYY-MM-DD: runbook",
          "",
          "## HH:MM:SS <zone>: <what was done, first line>",
          "",
          "- recorded: <local time> (<UTC time>)",
          "- stack: <stack>",
          "- scenario: <power recovery | broker failure | mirror rebuild | NAS restore | emergency mode | other>",
          "- systems affected: <the hosts involved>",
          "- verify: <first run started> to <last run finished>",
          "",
          "### What was done",
          "",
          "<the action, as the operator typed it>",
          "",
          "### Verification",
          "",
          "<metrics: passed, failed, time to recovery, latencies; then each check and its result>",
        ],
        "markdown",
      ),
      `The scenarios are described in ${link("Recovery", here, recoveryPagePath)}, the checks in ${link("Checks", here, checksPagePath)}.`,
    ]),
  };
}
