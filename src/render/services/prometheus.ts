// PLACEHOLDER: replaced by the prometheus renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"prometheus"> = () => ({});
