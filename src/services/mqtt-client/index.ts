/** mqtt-client: a mirror's heartbeat and registration on the broker. */
import { presenceTopic, registrationTopic, registrationTopics } from "../../model/topics";
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";

export const service = defineService({
  id: "mqtt-client",
  options,
  roles: ["mirror"],
  render,
  // Only its own presence and registration (each topic names the host), so no client can beat
  // or register as another.
  mqtt: {
    hostAccess: (host) => ({
      publish: [presenceTopic(host.name), registrationTopic(host.name)],
      subscribe: [registrationTopics],
    }),
  },
});
