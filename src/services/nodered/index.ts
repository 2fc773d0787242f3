/** nodered: Node-RED with the fleet's watchdog flows and the flows deployed from its editor. */
import type { Host } from "../../model/fleet";
import type { ModelIssue } from "../../model/issues";
import { defineService } from "../module";
import type { MqttClientOptions } from "../mqtt-client/options";
import { options, type NoderedOptions } from "./options";
import { noderedPaths, render } from "./render";
import { noderedAdminPasswordKey, noderedCredentialSecretKey, noderedSecretRules } from "./secrets";

export const service = defineService({
  id: "nodered",
  options,
  roles: ["lyra"],
  versions: ["node-red"],
  artifacts: ["node-red"],
  render,
  secretKeys: () => [noderedCredentialSecretKey, noderedAdminPasswordKey],
  secretRules: noderedSecretRules,
  // The userDir: flows and credentials deployed from the editor, nothing pulumi up writes (the
  // watchdog's flows and credentials stay in /etc/lyra/nodered and the systemd credentials). The
  // backup reads through the /var/lib/nodered symlink DynamicUser= makes; a restore on an empty
  // host fills /var/lib/nodered, which systemd moves to /var/lib/private at the first start.
  dataSets: () => [
    {
      path: noderedPaths.userDir,
      note: "flows and credentials deployed from the editor",
      backup: { id: "nodered", unit: "nodered.service" },
    },
  ],
  mqtt: { users: { nodered: { publish: ["lyra/status/#"], subscribe: ["lyra/#"] } } },
  // Its dashboard calls a host stale after staleAfterSeconds: a heartbeat must come more often.
  checkFleet: (hosts): ModelIssue[] => {
    // Read through the modules' own option types: the model's ServiceSettings is built from this registry entry.
    const noderedOn = (h: Host) => (h.services as Record<string, NoderedOptions | undefined>).nodered;
    const judge = hosts.find((h) => noderedOn(h))!;
    const window = noderedOn(judge)!.staleAfterSeconds;
    return hosts.flatMap((host): ModelIssue[] => {
      const heartbeat = (host.services as Record<string, MqttClientOptions | undefined>)["mqtt-client"]
        ?.heartbeatSeconds;
      if (heartbeat === undefined || heartbeat < window) return [];
      return [
        {
          path: `hosts.${host.name}.services.mqtt-client.heartbeatSeconds`,
          message: `expected a heartbeat shorter than the stale window that judges it (hosts.${judge.name}.services.nodered.staleAfterSeconds: ${window} s), got ${heartbeat} s`,
        },
      ];
    });
  },
});
