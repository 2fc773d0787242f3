/** mkdocs: the fleet's runbook site, served on the host that runs it. */
import { renderDocsSite } from "../../render/docs/site";
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";
import { docsDir, docsRoot, entriesDir, entriesIndexPath } from "../../render/docs/paths";

const incidentEntriesPath = `${docsRoot}/${docsDir}/${entriesDir}`;

export const service = defineService({
  id: "mkdocs",
  options,
  roles: ["lyra"],
  render,
  // `npm run record` writes incident entries here on the docs host; entries/index.md is the site's own.
  dataSets: () => [
    {
      path: incidentEntriesPath,
      note: "incident records written by `npm run record`",
      backup: { id: "mkdocs-incidents", unit: "mkdocs.service", exclude: [entriesIndexPath.split("/").pop()!] },
    },
  ],
  // The site describes every host's final plan, so it is written last.
  renderAfterFleet: ({ fleet, host }, plans) => renderDocsSite(fleet, host, plans),
});
