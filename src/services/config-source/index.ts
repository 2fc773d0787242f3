/** config-source: the tree the mirrors sync, and the account they sync it with. */
import { defineService } from "../module";
import { options } from "./options";
import { configSourceManagedFiles, render } from "./render";

export const service = defineService({
  id: "config-source",
  options,
  roles: ["vega"],
  render,
  onePerFleet: true,
  // What operators add to the tree is theirs; README.md and fleet.json are rewritten by `pulumi up`.
  // No unit reads it: its restore runs while its host converges, before any mirror syncs.
  dataSets: (settings) => [
    {
      path: settings.path,
      note: "the fleet's config source (the mirrors sync it)",
      backup: { id: "config-source", exclude: [...configSourceManagedFiles] },
    },
  ],
});
