// PLACEHOLDER: replaced by the mqtt-client renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"mqtt-client"> = () => ({});
