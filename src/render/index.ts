/**
 * FleetModel -> HostPlan per host. Pure: no Pulumi, no I/O.
 * Adding a service is adding a file under ./services and a line here.
 */
import type { FleetModel, Host } from "../model/fleet";
import type { ServiceId, ServiceSettings } from "../model/services";
import { assemblePlan } from "./assemble";
import type { ServiceRenderer } from "./context";
import { renderDocsSite } from "./docs/site";
import type { HostPlan, PlanFragment } from "./plan";
import { render as configSource } from "./services/config-source";
import { render as configSync } from "./services/config-sync";
import { renderHealthPublisher } from "./services/health-publisher";
import { render as lyraClient } from "./services/lyra-client";
import { render as lyraOrchestrator } from "./services/lyra-orchestrator";
import { render as mkdocs } from "./services/mkdocs";
import { render as mqttBroker } from "./services/mqtt-broker";
import { render as mqttClient } from "./services/mqtt-client";
import { render as nodeExporter } from "./services/node-exporter";
import { render as nodered } from "./services/nodered";
import { render as prometheus } from "./services/prometheus";
import { render as qdrant } from "./services/qdrant";
import { render as sttService } from "./services/stt-service";
import { render as timesync } from "./services/timesync";
import { render as ups } from "./services/ups";

// The health publisher and the docs site need the rest of the plan, so they render last.
type PerServiceId = Exclude<ServiceId, "health-publisher">;

const renderers: { [K in PerServiceId]: ServiceRenderer<K> } = {
  "config-source": configSource,
  "config-sync": configSync,
  "lyra-client": lyraClient,
  "lyra-orchestrator": lyraOrchestrator,
  "mkdocs": mkdocs,
  "mqtt-broker": mqttBroker,
  "mqtt-client": mqttClient,
  "node-exporter": nodeExporter,
  "nodered": nodered,
  "prometheus": prometheus,
  "qdrant": qdrant,
  "stt-service": sttService,
  "timesync": timesync,
  "ups": ups,
};

function serviceFragments(fleet: FleetModel, host: Host): PlanFragment[] {
  const ids = (Object.keys(host.services) as ServiceId[]).filter((id): id is PerServiceId => id !== "health-publisher").sort();
  return ids.map((id) => {
    const render = renderers[id] as ServiceRenderer;
    return render({ fleet, host, settings: host.services[id] as ServiceSettings[ServiceId] });
  });
}

/** Every host's plan, in host name order. */
export function planFleet(fleet: FleetModel): HostPlan[] {
  const fragments = fleet.hosts.map((host) => serviceFragments(fleet, host));
  const withHealth = fleet.hosts.map((host, i) => {
    const plan = assemblePlan(host, fragments[i]);
    const settings = host.services["health-publisher"];
    if (!settings) return plan;
    fragments[i].push(renderHealthPublisher(fleet, host, settings, plan));
    return assemblePlan(host, fragments[i]);
  });
  // The docs site goes to the host running mkdocs and describes every host's final plan.
  return fleet.hosts.map((host, i) =>
    host.services.mkdocs ? assemblePlan(host, [...fragments[i], renderDocsSite(fleet, host, withHealth)]) : withHealth[i],
  );
}

export type { HostPlan } from "./plan";
