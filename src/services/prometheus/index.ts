/** prometheus: scrapes every node exporter and holds the fleet's alert rules. */
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";

export const service = defineService({
  id: "prometheus",
  options,
  roles: ["vega"],
  render,
  // Not backed up: metrics history refills by scraping, a TSDB copied while Prometheus writes it is
  // not consistent (its snapshot API needs the admin API on), and it outgrows everything else here.
  dataSets: () => [
    { path: "/var/lib/prometheus/metrics2", note: "metrics history (not backed up: it refills by scraping)" },
  ],
});
