/** config-source: the tree the mirrors sync, and the account they sync it with. */
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";

export const service = defineService({
  id: "config-source",
  options,
  roles: ["vega"],
  render,
  onePerFleet: true,
  dataSets: (settings) => [{ path: settings.path, note: "the fleet's config source (the mirrors sync it)" }],
});
