/** nodered: Node-RED with the fleet's watchdog flows. */
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";
import { noderedCredentialSecretKey, noderedSecretRules } from "./secrets";

export const service = defineService({
  id: "nodered",
  options,
  roles: ["lyra"],
  render,
  secretKeys: () => [noderedCredentialSecretKey],
  secretRules: noderedSecretRules,
  mqtt: { users: { nodered: { publish: ["lyra/status/#"], subscribe: ["lyra/#"] } } },
});
