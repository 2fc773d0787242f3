/** qdrant: the orchestrator's vector database. */
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";

export const service = defineService({
  id: "qdrant",
  options,
  roles: ["lyra"],
  render,
  dataSets: (settings) => [
    { path: settings.storagePath, note: "vector collections" },
    { path: settings.snapshotsPath, note: "collection snapshots" },
  ],
});
