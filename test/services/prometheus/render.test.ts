/** The Prometheus renderer: scrape targets and labels, alert rules, Debian's unit with a drop-in, checks. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { render as renderBroker } from "../../../src/services/mqtt-broker/render";
import { render } from "../../../src/services/prometheus/render";
import { fileAt, fragmentOf, homeFleet, unitNamed, unitValues } from "../../render/fixtures";

const configOf = (fragment = fragmentOf(render, "prometheus", homeFleet(), "vega")) =>
  parse(fileAt(fragment, "/etc/prometheus/prometheus.yml").content);
const rulesOf = (fragment = fragmentOf(render, "prometheus", homeFleet(), "vega")) =>
  parse(fileAt(fragment, "/etc/prometheus/rules/lyra-fleet.rules.yml").content).groups.flatMap(
    (g: { rules: unknown[] }) => g.rules,
  );

interface Job {
  job_name: string;
  static_configs: { targets: string[]; labels: Record<string, string> }[];
}
const job = (config: { scrape_configs: Job[] }, name: string) => config.scrape_configs.find((j) => j.job_name === name);

test("every host's node exporter is scraped at <fqdn>:<port>, labelled with its host and role", () => {
  const config = configOf();
  const node = job(config, "node")!;
  assert.deepEqual(node.static_configs, [
    { targets: ["lyra.home.arpa:9100"], labels: { host: "lyra", role: "lyra" } },
    { targets: ["mirror-1.home.arpa:9100"], labels: { host: "mirror-1", role: "mirror" } },
    { targets: ["mirror-2.home.arpa:9100"], labels: { host: "mirror-2", role: "mirror" } },
    { targets: ["vega.home.arpa:9100"], labels: { host: "vega", role: "vega" } },
  ]);
  assert.deepEqual(job(config, "prometheus")!.static_configs, [
    { targets: ["localhost:9090"], labels: { host: "vega", role: "vega" } },
  ]);
  assert.equal(config.global.scrape_interval, "30s");
  assert.deepEqual(config.rule_files, ["/etc/prometheus/rules/lyra-fleet.rules.yml"]);
});

test("a host without a node exporter is not a target; other ports and intervals are followed", () => {
  const fleet = homeFleet((raw) => {
    raw.hosts["mirror-2"].services = { "node-exporter": { enabled: false } };
    raw.hosts.lyra.services["node-exporter"] = { port: 9200 };
    raw.hosts.vega.services = { prometheus: { port: 9091, scrapeIntervalSeconds: 15 } };
  });
  const fragment = fragmentOf(render, "prometheus", fleet, "vega");
  const config = configOf(fragment);
  assert.deepEqual(
    job(config, "node")!.static_configs.map((s) => s.targets[0]),
    ["lyra.home.arpa:9200", "mirror-1.home.arpa:9100", "vega.home.arpa:9100"],
  );
  assert.deepEqual(job(config, "prometheus")!.static_configs[0].targets, ["localhost:9091"]);
  assert.equal(config.global.scrape_interval, "15s");
  assert.match(fileAt(fragment, "/etc/default/prometheus").content, /^ARGS="--web\.listen-address=:9091"$/m);
  assert.deepEqual(fragment.ports, [{ port: 9091, protocol: "tcp", service: "prometheus" }]);
  assert.ok(
    fragment.checks!.some(
      (c) => c.kind === "http" && c.url === "http://vega.home.arpa:9091/-/ready" && c.expectStatus === 200,
    ),
  );
});

test("alert rules: host down, backup stale or failed, broker down, broker metrics stale, mirror heartbeat stale", () => {
  const rules = rulesOf();
  const byName = Object.fromEntries(rules.map((r: { alert: string }) => [r.alert, r]));
  assert.deepEqual(Object.keys(byName).sort(), [
    "BackupFailed",
    "BackupStale",
    "HostDown",
    "MirrorHeartbeatStale",
    "MqttBrokerDown",
    "MqttBrokerMetricsStale",
  ]);
  assert.equal(byName.HostDown.expr, 'up{job="node"} == 0');
  // The home stack's maxAgeHours: 36 h.
  assert.equal(byName.BackupStale.expr, "time() - lyra_backup_last_success_timestamp_seconds > 129600");
  assert.equal(byName.BackupFailed.expr, "lyra_backup_last_run_success == 0");
  assert.equal(byName.MqttBrokerDown.expr, "mqtt_broker_up == 0");
  assert.match(byName.MqttBrokerMetricsStale.expr, /absent\(mqtt_broker_metrics_timestamp_seconds\)/);
  // 60 s collector period + 15 s heartbeat + 30 s scrape + the runbook's 60 s.
  assert.equal(byName.MirrorHeartbeatStale.expr, "time() - lyra_heartbeat_last_seen_timestamp_seconds > 165");
  for (const r of rules) {
    assert.match(r.for, /^\d+m$/);
    assert.ok(["critical", "warning"].includes(r.labels.severity));
    assert.ok(r.annotations.summary && r.annotations.description);
  }
  // The metric names are the ones the broker's metrics script writes.
  const script = fileAt(
    fragmentOf(renderBroker, "mqtt-broker", homeFleet(), "vega"),
    "/usr/local/lib/lyra/mqtt-broker-metrics",
  );
  for (const metric of [
    "mqtt_broker_up",
    "mqtt_broker_metrics_timestamp_seconds",
    "lyra_heartbeat_last_seen_timestamp_seconds",
  ])
    assert.ok(script.content.includes(metric), metric);
});

test("without broker metrics (no node exporter on the broker host) or mirrors, only the rules that can fire remain", () => {
  const bare = rulesOf(
    fragmentOf(
      render,
      "prometheus",
      homeFleet((raw) => (raw.hosts.vega.services = { "node-exporter": { enabled: false } })),
      "vega",
    ),
  );
  assert.deepEqual(
    bare.map((r: { alert: string }) => r.alert),
    ["HostDown", "BackupStale", "BackupFailed"],
  );
  const noMirrors = homeFleet((raw) => {
    delete raw.hosts["mirror-1"];
    delete raw.hosts["mirror-2"];
  });
  assert.deepEqual(
    rulesOf(fragmentOf(render, "prometheus", noMirrors, "vega")).map((r: { alert: string }) => r.alert),
    ["HostDown", "BackupStale", "BackupFailed", "MqttBrokerDown", "MqttBrokerMetricsStale"],
  );
});

test("Debian's prometheus.service, tightened by a drop-in; every file restarts it", () => {
  const fragment = fragmentOf(render, "prometheus", homeFleet(), "vega");
  assert.deepEqual(fragment.packages, ["prometheus"]);
  const unit = unitNamed(fragment, "prometheus.service");
  assert.equal(unit.content, null, "the package's unit");
  assert.deepEqual([unit.enabled, unit.active, unit.longRunning], [true, true, true]);
  assert.deepEqual(unitValues(unit.dropIn!, "Service", "ProtectSystem"), ["strict"]);
  assert.deepEqual(unitValues(unit.dropIn!, "Service", "ReadWritePaths"), ["/var/lib/prometheus"]);
  for (const file of fragment.files!) {
    assert.deepEqual(file.restarts, ["prometheus.service"], file.path);
    assert.equal(file.mode, "0644");
  }
  assert.ok(fragment.checks!.some((c) => c.kind === "unit" && c.unit === "prometheus.service"));
  assert.ok(fragment.recovery![0].commands.includes("systemctl restart prometheus"));
  assert.equal(
    JSON.stringify(fragmentOf(render, "prometheus", homeFleet(), "vega")),
    JSON.stringify(fragment),
    "deterministic",
  );
});

test("what it serves the fleet, for the docs' hub: its scrape interval, and a note naming every scraped host", () => {
  assert.deepEqual(fragmentOf(render, "prometheus", homeFleet(), "vega").serves, [
    {
      service: "prometheus",
      summary: "metrics: Prometheus, scrapes every 30 s",
      note: "metrics: vega Prometheus scrapes node-exporter on lyra, mirror-1, mirror-2, vega",
    },
  ]);
  const none = homeFleet((raw) => {
    for (const h of Object.values(raw.hosts) as { services?: Record<string, unknown> }[])
      h.services = { ...(h.services ?? {}), "node-exporter": { enabled: false } };
  });
  assert.equal(fragmentOf(render, "prometheus", none, "vega").serves![0].note, undefined);
});
