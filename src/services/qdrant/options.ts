/** qdrant's settings. */
import { z } from "zod";
import { enabled, hostPath, port } from "../option-types";

/** qdrant keeps its data in its unit's StateDirectory=, which systemd creates under /var/lib for the dynamic user. */
const qdrantState = { directories: ["/var/lib"], why: "qdrant's StateDirectory=" };

export const options = z.strictObject({
  enabled,
  port: port(6333).describe("HTTP API port."),
  grpcPort: port(6334).describe("gRPC API port."),
  storagePath: hostPath("/var/lib/qdrant/storage", qdrantState).describe("Vector collections (backed up to the NAS)."),
  snapshotsPath: hostPath("/var/lib/qdrant/snapshots", qdrantState).describe("Collection snapshots."),
});
export type QdrantOptions = z.output<typeof options>;
