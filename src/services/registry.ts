/**
 * The service registry: every service lyra-fleet knows, one line each. Adding a service is adding
 * its folder and a line here; the model, the plans, the docs and the README's reference follow.
 */
import type { z } from "zod";
import { service as backup } from "./backup";
import { service as configSource } from "./config-source";
import { service as configSync } from "./config-sync";
import { service as healthPublisher } from "./health-publisher";
import { service as lyraClient } from "./lyra-client";
import { service as lyraOrchestrator } from "./lyra-orchestrator";
import { service as mkdocs } from "./mkdocs";
import type { ServiceModule } from "./module";
import { service as mqttBroker } from "./mqtt-broker";
import { service as mqttClient } from "./mqtt-client";
import { service as nodeExporter } from "./node-exporter";
import { service as nodered } from "./nodered";
import { service as prometheus } from "./prometheus";
import { service as qdrant } from "./qdrant";
import { service as sttService } from "./stt-service";
import { service as timesync } from "./timesync";
import { service as ups } from "./ups";

/**
 * In the runbook's order (Lyra's services, Vega's, the mirrors', then every host's): the order in
 * which a host's MQTT access and the docs' data sets are listed. Plans render in id order.
 */
export const builtInServices = [
  lyraOrchestrator,
  qdrant,
  mkdocs,
  nodered,
  ups,
  mqttBroker,
  configSource,
  prometheus,
  mqttClient,
  sttService,
  lyraClient,
  configSync,
  healthPublisher,
  timesync,
  nodeExporter,
  backup,
] as const;

type BuiltIn = (typeof builtInServices)[number];

/** The built-in services' ids; a registered extension is typed by its own module. */
export type ServiceId = BuiltIn["id"];
export type ServiceSettings = { [M in BuiltIn as M["id"]]: z.output<M["options"]> };

type VersionsOf<M> = M extends { versions?: readonly (infer V)[] } ? V : never;
type ImagesOf<M> = M extends { images?: readonly (infer I)[] } ? I : never;
/** The `versions:` keys the built-in modules pin (`node-red`, `qdrant`, ...). */
export type PinnedVersion = VersionsOf<BuiltIn>;
/** The `images:` keys the built-in modules pin (`mqtt-broker`). */
export type PinnedImage = ImagesOf<BuiltIn>;

const registered: ServiceModule[] = [...(builtInServices as readonly ServiceModule[])];

/** Every registered module: the built-in ones in the order above, then any registered later. */
export function serviceModules(): readonly ServiceModule[] {
  return registered;
}

/**
 * Registers a service module that is not built in (an extension, or a test's example service).
 * Takes effect for stacks parsed afterwards; returns the function that removes it again.
 */
export function registerService(module: ServiceModule): () => void {
  if (registered.some((m) => m.id === module.id))
    throw new Error(`registerService: a service named '${module.id}' is already registered`);
  registered.push(module);
  return () => {
    const at = registered.indexOf(module);
    if (at >= 0) registered.splice(at, 1);
  };
}
