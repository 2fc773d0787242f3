/**
 * The arguments of a planned container's `docker.Container`, built without Pulumi: the program
 * hands exactly this to @pulumi/docker (./container.ts), and the lab runs the same object with
 * `docker run` on a real engine (test/lab/docker-run.ts), since the provider plugin cannot run here.
 */
import type { PlannedContainer } from "../render/plan";

/** The label holding the hash of the container's config files: a change recreates the container. */
export const configHashLabel = "lyra-fleet.config-sha256";

/**
 * The subset of @pulumi/docker's ContainerArgs the fleet sets. `V` is how the image ID and the
 * config hash arrive: Pulumi outputs in the program, plain strings in the lab.
 */
export interface ContainerResourceArgs<V> {
  name: string;
  image: V;
  restart: PlannedContainer["restart"];
  ports: { internal: number; external: number; protocol: "tcp" | "udp" }[];
  mounts: { type: "bind" | "volume"; source: string; target: string; readOnly: boolean }[];
  healthcheck: { tests: string[]; interval: string; timeout: string; retries: number };
  labels: { label: string; value: V | string }[];
  /** `KEY=value`; none of the fleet's containers sets any yet. */
  envs?: string[];
  /** Overrides the image's command; none of the fleet's containers does yet. */
  command?: string[];
  /** The provider waits until the container runs. */
  mustRun: true;
}

/** `imageId`: the pulled image's ID (see ./container.ts for why not its repo digest). */
export function containerResourceArgs<V>(spec: PlannedContainer, imageId: V, configHash: V): ContainerResourceArgs<V> {
  return {
    name: spec.name,
    image: imageId,
    restart: spec.restart,
    ports: spec.ports.map((p) => ({ internal: p.container, external: p.host, protocol: p.protocol })),
    mounts: spec.mounts.map((m) => ({ type: m.kind, source: m.source, target: m.target, readOnly: m.readOnly })),
    healthcheck: {
      tests: spec.healthcheck.test,
      interval: `${spec.healthcheck.intervalSeconds}s`,
      timeout: `${spec.healthcheck.timeoutSeconds}s`,
      retries: spec.healthcheck.retries,
    },
    labels: [
      ...Object.entries(spec.labels).map(([label, value]) => ({ label, value })),
      { label: configHashLabel, value: configHash },
    ],
    mustRun: true,
  };
}

/** The named volumes the container mounts: the program declares each (kept on delete) before it. */
export function containerVolumes(spec: PlannedContainer): string[] {
  return spec.mounts.filter((m) => m.kind === "volume").map((m) => m.source);
}
