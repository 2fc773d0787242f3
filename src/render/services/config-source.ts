// PLACEHOLDER: replaced by the config-source renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"config-source"> = () => ({});
