/**
 * The service catalog as the model sees it, assembled from the registered service modules
 * (src/services): each service's settings schema, and which role runs it by default.
 *
 * A host's `services:` block may override any setting, turn a preset service off
 * (`enabled: false`) or place a service the role does not run by default (`mkdocs: {}`).
 */
import type { z } from "zod";
import { serviceModules } from "../services/registry";
import type { ServiceId, ServiceSettings } from "../services/registry";
import type { Role } from "./roles";

export { roles, type Role } from "./roles";
export { imageWithDigest, version } from "../services/option-types";
export type { PinnedImage, PinnedVersion, ServiceId, ServiceSettings } from "../services/registry";

/** Settings schema of every registered service, keyed by the service id the runbook uses. */
export function serviceSchemas(): Record<string, z.ZodObject> {
  return Object.fromEntries(serviceModules().map((m) => [m.id, m.options]));
}

/**
 * The `versions:`, `images:` and `artifacts:` keys the registered modules pin, each once, in
 * registry order. An artifact is one of its module's versions (the file of that release).
 */
export function pinnedKeys(): { versions: string[]; images: string[]; artifacts: string[] } {
  const modules = serviceModules();
  for (const m of modules) {
    const stray = (m.artifacts ?? []).filter((key) => !(m.versions ?? []).includes(key));
    if (stray.length > 0)
      throw new Error(`internal: service ${m.id} lists artifacts ${stray.join(", ")} that are not among its versions`);
  }
  return {
    versions: [...new Set(modules.flatMap((m) => m.versions ?? []))],
    images: [...new Set(modules.flatMap((m) => m.images ?? []))],
    artifacts: [...new Set(modules.flatMap((m) => m.artifacts ?? []))],
  };
}

/** Every registered service id, sorted. */
export function serviceIds(): ServiceId[] {
  return serviceModules()
    .map((m) => m.id as ServiceId)
    .sort();
}

/** Whether a role runs the service by default (the runbook's placement). */
export function inRolePreset(role: Role, id: string): boolean {
  return serviceModules().some((m) => m.id === id && m.roles.includes(role));
}

/** Ports each service listens on, by setting name (for the one-listener-per-port check). */
export function servicePorts(settings: ServiceSettings[ServiceId]): Record<string, number> {
  const s = settings as Record<string, unknown>;
  const ports: Record<string, number> = {};
  for (const key of ["port", "grpcPort"]) {
    if (typeof s[key] === "number") ports[key] = s[key] as number;
  }
  return ports;
}
