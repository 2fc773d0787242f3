/**
 * entries/index.md: the incident records section. The record command adds one file per incident
 * beside it; those files are deliberately not in the nav (mkdocs 1.4 only logs an INFO for pages
 * outside the nav, even with --strict), so adding one never needs mkdocs.yml to change.
 */
import type { Fleet } from "../../model/fleet";
import { pulumiUp } from "./facts";
import { code, codeBlock, link, page, type DocsPage } from "./markdown";
import { checksPagePath, entriesDir, entriesIndexPath, recoveryPagePath } from "./paths";

export function entriesIndexPage(fleet: Fleet): DocsPage {
  const here = entriesIndexPath;
  return {
    path: here,
    title: "Incident records",
    content: page([
      "# Incident records",
      `One file per incident in ${code(`${entriesDir}/`)}, named ${code("YYYY-MM-DD-runbook.md")} after the day it ` +
        "happened (a second one that day gets a suffix before .md). The record command writes them; they are kept " +
        `on the docs host and are not part of the stack, so ${code(pulumiUp(fleet))} never removes them.`,
      "Entries are not listed in the navigation: find them with the site search, or by the address " +
        `${code(`${entriesDir}/YYYY-MM-DD-runbook/`)}.`,
      "## Format",
      codeBlock(
        [
          "# YYYY-MM-DD: <what happened, in a few words>",
          "",
          "- scenario: <power recovery | broker failure | mirror rebuild | NAS restore | emergency mode | other>",
          "- hosts: <the hosts involved>",
          "",
          "## What was done",
          "",
          "<the commands run, in order>",
          "",
          "## Verification",
          "",
          "<each check and its result>",
        ],
        "markdown",
      ),
      `The scenarios are described in ${link("Recovery", here, recoveryPagePath)}, the checks in ${link("Checks", here, checksPagePath)}.`,
    ]),
  };
}
