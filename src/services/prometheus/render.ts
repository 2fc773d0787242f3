/**
 * Prometheus on its host (Vega by default): Debian's prometheus package and unit, a scrape config
 * for every host's node exporter (which also carries the broker metrics of the broker host, see
 * ./mqtt-broker-metrics.ts), Prometheus itself, and the fleet's alerting rules.
 */
import { stringify } from "yaml";
import type { FleetModel, Host } from "../../model/fleet";
import type { ServiceRenderer } from "../../render/context";
import { fqdnOf } from "../../render/context";
import { hardened, unitFile } from "../../render/systemd";
import { alertRules } from "./rules";
import type { PrometheusOptions } from "./options";
import { httpAnswers, unitActive } from "../../render/checks";
import { curlAfterRestart } from "../../render/docs/shell";

export const prometheusPaths = {
  config: "/etc/prometheus/prometheus.yml",
  rulesDir: "/etc/prometheus/rules",
  rules: "/etc/prometheus/rules/lyra-fleet.rules.yml",
  /** Debian's unit reads ARGS from here. */
  defaults: "/etc/default/prometheus",
} as const;

const unit = "prometheus.service";
const managed = "# Managed by lyra-fleet: edits are reverted by `pulumi up`.\n";

interface StaticConfig {
  targets: string[];
  labels: { host: string; role: string };
}

const labelsOf = (host: Host) => ({ host: host.name, role: host.role });

export function prometheusConfig(fleet: FleetModel, host: Host, port: number, scrapeIntervalSeconds: number): string {
  const nodeTargets: StaticConfig[] = fleet.hosts.flatMap((h) => {
    const exporter = h.services["node-exporter"];
    return exporter ? [{ targets: [`${fqdnOf(fleet, h.name)}:${exporter.port}`], labels: labelsOf(h) }] : [];
  });
  const interval = `${scrapeIntervalSeconds}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, external_labels: { site: fleet.site.domain } },
    rule_files: [prometheusPaths.rules],
    scrape_configs: [
      { job_name: "prometheus", static_configs: [{ targets: [`localhost:${port}`], labels: labelsOf(host) }] },
      // The broker host's node exporter also serves mqtt_broker_* and lyra_heartbeat_* (textfile).
      ...(nodeTargets.length > 0 ? [{ job_name: "node", static_configs: nodeTargets }] : []),
    ],
  };
  return managed + stringify(config, { lineWidth: 0 });
}

export function prometheusRules(fleet: FleetModel, scrapeIntervalSeconds: number): string {
  return (
    managed +
    stringify({ groups: [{ name: "lyra-fleet", rules: alertRules(fleet, scrapeIntervalSeconds) }] }, { lineWidth: 0 })
  );
}

/**
 * Tightens Debian's unit (which already runs as `prometheus` with a partial sandbox): a read-only
 * system except its data, no kernel knobs, only the system calls an ordinary service makes.
 */
function dropIn(): string {
  const base = hardened();
  return unitFile({
    Service: {
      ProtectSystem: base.ProtectSystem,
      // The TSDB (Debian: /var/lib/prometheus/metrics2).
      ReadWritePaths: "/var/lib/prometheus",
      ProtectClock: base.ProtectClock,
      ProtectKernelLogs: base.ProtectKernelLogs,
      ProtectHostname: base.ProtectHostname,
      ProtectProc: base.ProtectProc,
      ProcSubset: base.ProcSubset,
      PrivateMounts: base.PrivateMounts,
      RestrictSUIDSGID: base.RestrictSUIDSGID,
      // Go's resolver and interface lookups use netlink; scraping needs IP.
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX AF_NETLINK",
      SystemCallFilter: base.SystemCallFilter,
      SystemCallErrorNumber: base.SystemCallErrorNumber,
      UMask: "0027",
    },
  });
}

export const render: ServiceRenderer<PrometheusOptions> = ({ fleet, host, settings }) => {
  const restarts = [unit];
  const scraped = fleet.hosts.filter((h) => h.services["node-exporter"]).map((h) => h.name);
  return {
    packages: ["prometheus"],
    directories: [{ path: prometheusPaths.rulesDir, mode: "0755", owner: "root", group: "root" }],
    files: [
      {
        path: prometheusPaths.defaults,
        content: `${managed}ARGS="--web.listen-address=:${settings.port}"\n`,
        mode: "0644",
        owner: "root",
        group: "root",
        restarts,
      },
      {
        path: prometheusPaths.config,
        content: prometheusConfig(fleet, host, settings.port, settings.scrapeIntervalSeconds),
        mode: "0644",
        owner: "root",
        group: "root",
        restarts,
      },
      {
        path: prometheusPaths.rules,
        content: prometheusRules(fleet, settings.scrapeIntervalSeconds),
        mode: "0644",
        owner: "root",
        group: "root",
        restarts,
      },
    ],
    units: [{ name: unit, content: null, dropIn: dropIn(), enabled: true, active: true, longRunning: true, after: [] }],
    ports: [{ port: settings.port, protocol: "tcp", service: "prometheus" }],
    serves: [
      {
        service: "prometheus",
        summary: `metrics: Prometheus, scrapes every ${settings.scrapeIntervalSeconds} s`,
        ...(scraped.length > 0
          ? { note: `metrics: ${host.name} Prometheus scrapes node-exporter on ${scraped.join(", ")}` }
          : {}),
      },
    ],
    checks: [unitActive(host, unit), httpAnswers(host, "prometheus ready", settings.port, "/-/ready")],
    recovery: [
      {
        service: "prometheus",
        commands: [
          "systemctl status prometheus",
          "journalctl -u prometheus -n 100",
          `promtool check config ${prometheusPaths.config}`,
          "systemctl restart prometheus",
          `${curlAfterRestart} http://localhost:${settings.port}/-/ready`,
        ],
      },
    ],
  };
};
