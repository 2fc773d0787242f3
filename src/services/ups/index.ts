/** ups: NUT watching the UPS; no role runs it by default (a host adds `ups: {}`). */
import { defineService } from "../module";
import { options } from "./options";
import { upsdPort } from "./ports";
import { render } from "./render";
import { upsMonitorPasswordKey, upsSecretRules } from "./secrets";

export const service = defineService({
  id: "ups",
  options,
  roles: [],
  render,
  secretKeys: () => [upsMonitorPasswordKey],
  secretRules: upsSecretRules,
  listeners: (_settings, host) => [
    { port: upsdPort, protocol: "tcp", owner: "upsd (ups)", field: `hosts.${host.name}.services.ups` },
  ],
});
