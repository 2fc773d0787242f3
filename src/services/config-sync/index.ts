/** config-sync: a mirror's timer that pulls the config source over SSH. */
import type { ModelIssue } from "../../model/issues";
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";
import { configSyncSshKeyKey } from "./secrets";

export const service = defineService({
  id: "config-sync",
  options,
  roles: ["mirror"],
  render,
  secretKeys: () => [configSyncSshKeyKey],
  // It syncs from the config source: on the source's own host it would sync from itself.
  checkHost: (_settings, host): ModelIssue[] =>
    (host.services as Record<string, unknown>)["config-source"] !== undefined
      ? [
          {
            path: `hosts.${host.name}.services.config-sync`,
            message:
              "expected config-sync only on a host that does not hold the config source: this host runs config-source and would sync from itself (set `config-sync: { enabled: false }`)",
          },
        ]
      : [],
});
