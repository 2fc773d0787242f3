// PLACEHOLDER: replaced by the stt-service renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"stt-service"> = () => ({});
