/** Fleet variants for the Vega renderers' tests (broker, config source, Prometheus); the rest is in fixtures.ts. */
import type { FleetModel } from "../../src/model/fleet";
import { homeFleet } from "./fixtures";

/** The home fleet with the broker running natively (the lab's mode). */
export const nativeHomeFleet = (): FleetModel =>
  homeFleet((raw) => {
    raw.hosts.vega.services = { ...raw.hosts.vega.services, "mqtt-broker": { mode: "native" } };
  });
