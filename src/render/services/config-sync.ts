// PLACEHOLDER: replaced by the config-sync renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"config-sync"> = () => ({});
