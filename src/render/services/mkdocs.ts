// PLACEHOLDER: replaced by the mkdocs renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"mkdocs"> = () => ({});
