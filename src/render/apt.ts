/**
 * apt on every host: with `site.nas.aptProxy` set, packages come through the NAS's package cache.
 * The file makes the operator's own apt-get use it too; the host's first install (before the file
 * exists, on a re-flashed card) gets the same proxy from the plan's `aptProxy` (src/fleet passes
 * it to the HostState, which gives it to apt-get on its command line).
 *
 * The file also has apt retry a failed download at once: Debian bookworm's apt-cacher-ng answers
 * one of two hosts refreshing the same index together "503 Error in cache data", and apt 2.6's
 * delayed retry of that index never comes in an update, which then hangs
 * (src/host/resources/apt-packages.ts gives its own updates the same option).
 */
import type { FleetModel } from "../model/fleet";
import type { PlanFragment, PlannedFile } from "./plan";

export const aptProxyFile = "/etc/apt/apt.conf.d/01lyra-proxy";

/** What every host gets from the fleet's apt settings; nothing without a proxy. */
export function aptFragment(fleet: FleetModel): PlanFragment {
  const proxy = fleet.site.nas.aptProxy;
  if (proxy === undefined) return {};
  const file: PlannedFile = {
    path: aptProxyFile,
    content:
      `// Written by lyra-fleet (site.nas.aptProxy): Debian packages come through the NAS's cache.\n` +
      `Acquire::http::Proxy "${proxy}";\n` +
      `// The cache can refuse an index for a moment; apt's delayed retry of it hangs apt-get update.\n` +
      `Acquire::Retries::Delay "false";\n`,
    mode: "0644",
    owner: "root",
    group: "root",
    restarts: [],
  };
  return { files: [file], aptProxy: proxy };
}
