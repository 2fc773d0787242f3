/** lyra-orchestrator: the FastAPI app on Lyra. */
import { defineService } from "../module";
import { options } from "./options";
import { render } from "./render";

export const service = defineService({
  id: "lyra-orchestrator",
  options,
  roles: ["lyra"],
  versions: ["lyra-orchestrator"],
  artifacts: ["lyra-orchestrator"],
  render,
  mqtt: { users: { orchestrator: { publish: ["lyra/#"], subscribe: ["lyra/#"] } } },
});
