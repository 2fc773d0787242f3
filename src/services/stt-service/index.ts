/** stt-service: the mirrors' speech-to-text service. */
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";

export const service = defineService({
  id: "stt-service",
  options,
  roles: ["mirror"],
  versions: ["stt-service"],
  artifacts: ["stt-service"],
  render,
});
