/** mkdocs: the fleet's runbook site, served on the host that runs it. */
import { renderDocsSite } from "../../render/docs/site";
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";

export const service = defineService({
  id: "mkdocs",
  options,
  roles: ["lyra"],
  render,
  // The site describes every host's final plan, so it is written last.
  renderAfterFleet: ({ fleet, host }, plans) => renderDocsSite(fleet, host, plans),
});
