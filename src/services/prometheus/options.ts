/** prometheus's settings. */
import { z } from "zod";
import { enabled, port, seconds } from "../option-types";

export const options = z.strictObject({
  enabled,
  port: port(9090).describe("Prometheus's web and API port."),
  scrapeIntervalSeconds: seconds(30, 5, 600).describe("How often every node exporter is scraped."),
});
export type PrometheusOptions = z.output<typeof options>;
