/** config-sync: a mirror's timer that pulls the config source over SSH. */
import type { ModelIssue } from "../../model/issues";
import { defineService } from "../module";
import { options, type ConfigSyncOptions } from "./options";
import { render } from "./render";
import { configSyncSecretRules, configSyncSshKeyKey } from "./secrets";

export const service = defineService({
  id: "config-sync",
  options,
  roles: ["mirror"],
  render,
  secretKeys: () => [configSyncSshKeyKey],
  secretRules: configSyncSecretRules,
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
  // An explicit source must be a host of this stack that holds a config source.
  checkFleet: (hosts): ModelIssue[] =>
    hosts.flatMap((host) => {
      const source = (host.services as Record<string, ConfigSyncOptions | undefined>)["config-sync"]?.source;
      if (source === undefined) return [];
      const path = `hosts.${host.name}.services.config-sync.source`;
      const target = hosts.find((h) => h.name === source);
      if (!target) return [{ path, message: `expected the name of a host in this stack, got '${source}'` }];
      if ((target.services as Record<string, unknown>)["config-source"] === undefined)
        return [{ path, message: `host '${source}' does not run config-source` }];
      return [];
    }),
});
