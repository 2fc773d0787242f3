/** node-exporter: host metrics for Prometheus, on every host. */
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";

export const service = defineService({ id: "node-exporter", options, roles: ["lyra", "vega", "mirror"], render });
