/** health-publisher: every host's health on lyra/health/<host>. */
import { defineService } from "../module";
import { options } from "./options";
import { renderHealthPublisher } from "./render";

export const service = defineService({
  id: "health-publisher",
  options,
  roles: ["lyra", "vega", "mirror"],
  // It reports on the host's other units, so it renders once they are known.
  renderAfterHost: ({ fleet, host, settings }, plan) => renderHealthPublisher(fleet, host, settings, plan),
});
