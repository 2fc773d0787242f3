/**
 * The Docker engine a Docker-mode broker runs in: Debian's docker.io with its packaged
 * docker.service enabled and running, so a fresh host can start the container. When the broker's
 * image comes from a registry the stack marks insecure (plain HTTP, as the lab's NAS registry),
 * dockerd must be told in /etc/docker/daemon.json, or every pull fails with "server gave HTTP
 * response to HTTPS client".
 */
import type { FleetModel, Host } from "../../model/fleet";
import { unitActive } from "../../render/checks";
import type { PlanFragment, PlannedUnit } from "../../render/plan";

export const dockerUnitName = "docker.service";
export const daemonJsonPath = "/etc/docker/daemon.json";

/** The registries dockerd must reach over plain HTTP: the stack's insecure one, if the broker's image names it. */
export function insecureRegistries(fleet: FleetModel): string[] {
  const registry = fleet.site.nas.registry;
  if (!registry?.insecure) return [];
  return fleet.images["mqtt-broker"].startsWith(`${registry.address}/`) ? [registry.address] : [];
}

/** daemon.json's content; only the one setting the fleet needs, so dockerd's defaults stay Debian's. */
export function daemonJson(registries: string[]): string {
  return JSON.stringify({ "insecure-registries": registries }, null, 2) + "\n";
}

/** Debian's docker.service (from the package): the engine, kept enabled and running. */
const dockerUnit: PlannedUnit = {
  name: dockerUnitName,
  content: null,
  enabled: true,
  active: true,
  longRunning: true,
  after: [],
};

export function dockerEngine(fleet: FleetModel, host: Host): PlanFragment {
  const registries = insecureRegistries(fleet);
  return {
    packages: ["docker.io"],
    directories: registries.length > 0 ? [{ path: "/etc/docker", mode: "0755", owner: "root", group: "root" }] : [],
    files:
      registries.length > 0
        ? [
            {
              path: daemonJsonPath,
              content: daemonJson(registries),
              mode: "0644",
              owner: "root",
              group: "root",
              restarts: [dockerUnitName],
            },
          ]
        : [],
    units: [dockerUnit],
    checks: [unitActive(host, dockerUnitName)],
  };
}
