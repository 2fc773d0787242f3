// PLACEHOLDER: replaced by the lyra-orchestrator renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"lyra-orchestrator"> = () => ({});
