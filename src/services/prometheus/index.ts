/** prometheus: scrapes every node exporter and holds the fleet's alert rules. */
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";

export const service = defineService({ id: "prometheus", options, roles: ["vega"], render });
