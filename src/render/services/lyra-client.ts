// PLACEHOLDER: replaced by the lyra-client renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"lyra-client"> = () => ({});
