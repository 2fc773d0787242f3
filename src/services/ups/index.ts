/** ups: NUT watching the UPS; no role runs it by default (a host adds `ups: {}`). */
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";
import { upsMonitorPasswordKey, upsSecretRules } from "./secrets";

export const service = defineService({
  id: "ups",
  options,
  roles: [],
  render,
  secretKeys: () => [upsMonitorPasswordKey],
  secretRules: upsSecretRules,
});
