// PLACEHOLDER: replaced by the mqtt-broker renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"mqtt-broker"> = () => ({});
