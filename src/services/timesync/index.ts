/** timesync: chrony on every host (the lab's container hosts measure without setting the clock). */
import { defineService } from "../module";
import { options } from "./options";
import { ntpPort } from "./ports";
import { render } from "./render";

export const service = defineService({
  id: "timesync",
  options,
  roles: ["lyra", "vega", "mirror"],
  render,
  listeners: (settings, host) =>
    settings.serve
      ? [
          {
            port: ntpPort,
            protocol: "udp",
            owner: "chronyd (timesync)",
            field: `hosts.${host.name}.services.timesync.serve`,
          },
        ]
      : [],
});
