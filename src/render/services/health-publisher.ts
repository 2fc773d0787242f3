// PLACEHOLDER: replaced by the health-publisher renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"health-publisher"> = () => ({});
