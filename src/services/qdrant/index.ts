/** qdrant: the orchestrator's vector database. */
import { isUnder } from "../../model/paths";
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";
import { qdrantBackup } from "./backup";

export const service = defineService({
  id: "qdrant",
  options,
  roles: ["lyra"],
  versions: ["qdrant"],
  artifacts: ["qdrant"],
  render,
  checkHost: (settings, host) =>
    isUnder(settings.snapshotsPath, settings.storagePath) || isUnder(settings.storagePath, settings.snapshotsPath)
      ? [
          {
            path: `hosts.${host.name}.services.qdrant.snapshotsPath`,
            message: `expected a directory apart from storagePath (${settings.storagePath}), neither inside the other`,
          },
        ]
      : [],
  dataSets: (settings) => [
    { path: settings.storagePath, note: "vector collections (recovered from the snapshots beside them)" },
    {
      path: settings.snapshotsPath,
      note: "a snapshot of every collection, made before each backup",
      backup: qdrantBackup(settings),
    },
  ],
});
