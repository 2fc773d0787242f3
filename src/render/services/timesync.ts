// PLACEHOLDER: replaced by the timesync renderer.
import type { ServiceRenderer } from "../context";

export const render: ServiceRenderer<"timesync"> = () => ({});
