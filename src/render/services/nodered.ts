// PLACEHOLDER: replaced by the nodered renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"nodered"> = () => ({});
