/** lyra-client: the mirror UI with its offline fallback. */
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";

export const service = defineService({
  id: "lyra-client",
  options,
  roles: ["mirror"],
  versions: ["lyra-client"],
  artifacts: ["lyra-client"],
  render,
  mqtt: { hostAccess: (host) => ({ publish: [], subscribe: [`lyra/mirrors/${host.name}/#`] }) },
  dataSets: (settings) => [{ path: settings.cachePath, note: "cached answers (optional: refilled while online)" }],
});
