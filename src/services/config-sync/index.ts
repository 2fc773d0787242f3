/** config-sync: a mirror's timer that pulls the config source over SSH. */
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
});
