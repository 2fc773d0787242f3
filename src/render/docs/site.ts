// PLACEHOLDER: replaced by the docs site renderer.
import type { FleetRenderer } from "../context";

export const renderDocsSite: FleetRenderer = () => ({});
