/** node-exporter's settings. */
import { z } from "zod";
import { enabled, port } from "../option-types";

export const options = z.strictObject({ enabled, port: port(9100).describe("Metrics port Prometheus scrapes.") });
export type NodeExporterOptions = z.output<typeof options>;
