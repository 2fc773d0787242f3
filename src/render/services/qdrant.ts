// PLACEHOLDER: replaced by the qdrant renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"qdrant"> = () => ({});
