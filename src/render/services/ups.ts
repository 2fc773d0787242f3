// PLACEHOLDER: replaced by the ups renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"ups"> = () => ({});
