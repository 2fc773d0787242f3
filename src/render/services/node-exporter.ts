// PLACEHOLDER: replaced by the node-exporter renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"node-exporter"> = () => ({});
