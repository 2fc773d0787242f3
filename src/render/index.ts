/**
 * Fleet -> HostPlan per host. Pure: no Pulumi, no I/O.
 * Adding a service is adding a file under ./services and a line here.
 */
import type { Fleet, Host } from "../model/fleet";
import type { ServiceId, ServiceSettings } from "../model/services";
import { assemblePlan } from "./assemble";
import type { ServiceRenderer } from "./context";
import { renderDocsSite } from "./docs/site";
import type { HostPlan, PlanFragment } from "./plan";
import { render as configSource } from "./services/config-source";
import { render as configSync } from "./services/config-sync";
import { render as healthPublisher } from "./services/health-publisher";
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

const renderers: { [K in ServiceId]: ServiceRenderer<K> } = {
  "config-source": configSource,
  "config-sync": configSync,
  "health-publisher": healthPublisher,
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

function serviceFragments(fleet: Fleet, host: Host): PlanFragment[] {
  return (Object.keys(host.services).sort() as ServiceId[]).map((id) => {
    const render = renderers[id] as ServiceRenderer;
    return render({ fleet, host, settings: host.services[id] as ServiceSettings[ServiceId] });
  });
}

/** Every host's plan, in host name order. The docs site goes to the host running mkdocs. */
export function planFleet(fleet: Fleet): HostPlan[] {
  const base = fleet.hosts.map((host) => assemblePlan(host, serviceFragments(fleet, host)));
  return fleet.hosts.map((host, i) =>
    host.services.mkdocs ? assemblePlan(host, [...serviceFragments(fleet, host), renderDocsSite(fleet, host, base)]) : base[i],
  );
}

export type { HostPlan } from "./plan";
