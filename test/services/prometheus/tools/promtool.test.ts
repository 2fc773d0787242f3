/**
 * The rendered Prometheus files in the real programs (Debian's prometheus package): promtool checks
 * the config and the rules, `promtool test rules` proves each alert fires when it should and not
 * otherwise, the real server loads the config, and Debian's unit with our drop-in passes
 * systemd-analyze.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, test } from "node:test";
import { parse, stringify } from "yaml";
import { render } from "../../../../src/services/prometheus/render";
import { fileAt, fragmentOf, homeFleet, unitNamed } from "../../../render/fixtures";
import { freePort } from "../../../support/free-port";

const fragment = fragmentOf(render, "prometheus", homeFleet(), "vega");
const renderedConfig = fileAt(fragment, "/etc/prometheus/prometheus.yml").content;
const renderedRules = fileAt(fragment, "/etc/prometheus/rules/lyra-fleet.rules.yml").content;
const dir = mkdtempSync(join(tmpdir(), "lyra-prometheus-"));
const rulesPath = join(dir, "lyra-fleet.rules.yml");
writeFileSync(rulesPath, renderedRules);
let server: ChildProcess | undefined;

after(async () => {
  const s = server;
  if (s && s.exitCode === null) {
    const exited = new Promise((resolve) => s.once("exit", resolve));
    s.kill("SIGTERM");
    await Promise.race([exited, sleep(10_000).then(() => s.kill("SIGKILL"))]);
  }
  rmSync(dir, { recursive: true, force: true });
});

function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 60_000, ...options });
  if (r.error) throw new Error(`${command} could not run (Debian's prometheus package): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The rendered config with its rule file moved to the temp copy (the only change). */
function configWithLocalRules(): string {
  assert.ok(renderedConfig.includes("/etc/prometheus/rules/lyra-fleet.rules.yml"));
  return renderedConfig.replace("/etc/prometheus/rules/lyra-fleet.rules.yml", rulesPath);
}

test("promtool check config and check rules pass on the rendered files", () => {
  const configPath = join(dir, "prometheus.yml");
  writeFileSync(configPath, configWithLocalRules());
  const config = run("promtool", ["check", "config", configPath]);
  assert.equal(config.status, 0, config.out);
  assert.match(config.out, /SUCCESS: 6 rules found/);
  const rules = run("promtool", ["check", "rules", rulesPath]);
  assert.equal(rules.status, 0, rules.out);
  // The control: promtool does reject a broken expression.
  const broken = join(dir, "broken.rules.yml");
  writeFileSync(broken, renderedRules.replace("mqtt_broker_up == 0", "mqtt_broker_up == == 0"));
  assert.notEqual(run("promtool", ["check", "rules", broken]).status, 0);
});

type Labels = Record<string, string>;
interface Rule {
  alert: string;
  labels: Labels;
  annotations: Labels;
}
const rules: Rule[] = parse(renderedRules).groups[0].rules;

/** What promtool expects for a firing alert: the series' labels plus the rule's, templates expanded. */
function expected(alert: string, series: Labels) {
  const rule = rules.find((r) => r.alert === alert)!;
  const expand = (text: string) => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, name: string) => series[name] ?? "");
  return {
    exp_labels: { ...series, ...rule.labels },
    exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expand(v)])),
  };
}

const selector = (name: string, labels: Labels) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(", ")}}`;

test("promtool test rules: each alert fires when its condition holds long enough, and not otherwise", () => {
  const target = (host: string, role: string) => ({ job: "node", instance: `${host}.home.arpa:9100`, host, role });
  const vega = target("vega", "vega");
  const mirror2 = target("mirror-2", "mirror");
  const seen = (mirror: string) => ({ ...vega, mirror });
  const lyraNode = target("lyra", "lyra");
  const tests = {
    rule_files: [rulesPath],
    evaluation_interval: "30s",
    tests: [
      {
        interval: "1m",
        input_series: [
          { series: selector("up", mirror2), values: "0x20" },
          { series: selector("up", target("lyra", "lyra")), values: "1x20" },
          { series: selector("up", vega), values: "1x20" },
          { series: selector("mqtt_broker_up", vega), values: "1 1 0x18" },
          // Written every minute: fresh.
          { series: selector("mqtt_broker_metrics_timestamp_seconds", vega), values: "0+60x20" },
          // mirror-1 never seen (0); mirror-2 seen every minute.
          { series: selector("lyra_heartbeat_last_seen_timestamp_seconds", seen("mirror-1")), values: "0x20" },
          { series: selector("lyra_heartbeat_last_seen_timestamp_seconds", seen("mirror-2")), values: "0+60x20" },
        ],
        alert_rule_test: [
          { eval_time: "5m", alertname: "HostDown", exp_alerts: [expected("HostDown", mirror2)] },
          { eval_time: "1m", alertname: "HostDown", exp_alerts: [] },
          { eval_time: "3m", alertname: "MqttBrokerDown", exp_alerts: [] },
          { eval_time: "5m", alertname: "MqttBrokerDown", exp_alerts: [expected("MqttBrokerDown", vega)] },
          {
            eval_time: "5m",
            alertname: "MirrorHeartbeatStale",
            exp_alerts: [expected("MirrorHeartbeatStale", seen("mirror-1"))],
          },
          { eval_time: "15m", alertname: "MqttBrokerMetricsStale", exp_alerts: [] },
        ],
      },
      {
        // The collector stopped writing: its last timestamp grows old.
        interval: "1m",
        input_series: [{ series: selector("mqtt_broker_metrics_timestamp_seconds", vega), values: "0x20" }],
        alert_rule_test: [
          { eval_time: "6m", alertname: "MqttBrokerMetricsStale", exp_alerts: [] },
          {
            eval_time: "12m",
            alertname: "MqttBrokerMetricsStale",
            exp_alerts: [expected("MqttBrokerMetricsStale", vega)],
          },
        ],
      },
      {
        // Backups (the home stack's maxAgeHours: 36): lyra's qdrant had one good backup at 0 and
        // its runs fail from 2 min on; its nodered is backed up every minute (a sample a minute, as
        // a scrape gives; samples an hour apart would go stale between them).
        interval: "1m",
        input_series: [
          {
            series: selector("lyra_backup_last_success_timestamp_seconds", { ...lyraNode, dataset: "qdrant" }),
            values: "0x2400",
          },
          {
            series: selector("lyra_backup_last_success_timestamp_seconds", { ...lyraNode, dataset: "nodered" }),
            values: "0+60x2400",
          },
          {
            series: selector("lyra_backup_last_run_success", { ...lyraNode, dataset: "qdrant" }),
            values: "1 1 0x2398",
          },
          { series: selector("lyra_backup_last_run_success", { ...lyraNode, dataset: "nodered" }), values: "1x2400" },
        ],
        alert_rule_test: [
          { eval_time: "35h", alertname: "BackupStale", exp_alerts: [] },
          {
            eval_time: "38h",
            alertname: "BackupStale",
            exp_alerts: [expected("BackupStale", { ...lyraNode, dataset: "qdrant" })],
          },
          { eval_time: "1m", alertname: "BackupFailed", exp_alerts: [] },
          { eval_time: "5m", alertname: "BackupFailed", exp_alerts: [] },
          {
            eval_time: "8m",
            alertname: "BackupFailed",
            exp_alerts: [expected("BackupFailed", { ...lyraNode, dataset: "qdrant" })],
          },
        ],
      },
      {
        // The collector never ran: nothing at all.
        interval: "1m",
        input_series: [{ series: selector("up", vega), values: "1x20" }],
        alert_rule_test: [
          {
            eval_time: "6m",
            alertname: "MqttBrokerMetricsStale",
            exp_alerts: [expected("MqttBrokerMetricsStale", {})],
          },
        ],
      },
    ],
  };
  const testsPath = join(dir, "lyra-fleet.tests.yml");
  writeFileSync(testsPath, stringify(tests));
  const r = run("promtool", ["test", "rules", testsPath]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS/);

  // The control: promtool test rules fails when an alert that should fire is not expected.
  tests.tests[0].alert_rule_test[0].exp_alerts = [];
  writeFileSync(testsPath, stringify(tests));
  assert.notEqual(run("promtool", ["test", "rules", testsPath]).status, 0);
});

test("the real prometheus loads the rendered config and rules and reports ready", async () => {
  const port = await freePort();
  const closed = await freePort();
  // Targets moved to loopback so the test sends nothing off this machine (and resolves no names).
  const config = configWithLocalRules()
    .replace("localhost:9090", `127.0.0.1:${port}`)
    .replace(/[a-z0-9-]+\.home\.arpa:9100/g, `127.0.0.1:${closed}`);
  const configPath = join(dir, "server.yml");
  writeFileSync(configPath, config);
  mkdirSync(join(dir, "data"));
  let log = "";
  server = spawn(
    "/usr/bin/prometheus",
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  server.stderr!.on("data", (c) => (log += c));
  const deadline = Date.now() + 30_000;
  let ready = 0;
  while (Date.now() < deadline && server.exitCode === null) {
    ready = await fetch(`http://127.0.0.1:${port}/-/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (ready === 200) break;
    await sleep(200);
  }
  assert.equal(ready, 200, log);
  const api = async (path: string) =>
    ((await (await fetch(`http://127.0.0.1:${port}/api/v1/${path}`)).json()) as { data: any }).data;
  const loaded = (await api("rules")).groups
    .flatMap((g: { rules: { name: string }[] }) => g.rules.map((r) => r.name))
    .sort();
  assert.deepEqual(loaded, rules.map((r) => r.alert).sort());
  // Target discovery reaches the scrape manager a few seconds after start.
  let targets: string[] = [];
  for (const until = Date.now() + 20_000; targets.length < 5 && Date.now() < until; await sleep(250)) {
    targets = (await api("targets")).activeTargets
      .map((t: { labels: Labels }) => `${t.labels.job}/${t.labels.host}/${t.labels.role}`)
      .sort();
  }
  assert.deepEqual(targets, [
    "node/lyra/lyra",
    "node/mirror-1/mirror",
    "node/mirror-2/mirror",
    "node/vega/vega",
    "prometheus/vega/vega",
  ]);
  assert.doesNotMatch(log, /level=error/);
});

test("Debian's prometheus.service with the rendered drop-in verifies and scores at most 2.0 (lower than without)", () => {
  const debian = readFileSync("/lib/systemd/system/prometheus.service", "utf8");
  const score = (content: string) => {
    const path = join(dir, "units", "prometheus.service");
    mkdirSync(join(dir, "units"), { recursive: true });
    writeFileSync(path, content);
    const r = run("systemd-analyze", ["security", "--offline=yes", path]);
    const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.out);
    assert.ok(m, r.out);
    return { path, exposure: Number(m[1]) };
  };
  const before = score(debian).exposure;
  // A drop-in's sections apply after the unit's own, as in one file where they come last.
  const { path, exposure } = score(`${debian}\n${unitNamed(fragment, "prometheus.service").dropIn}`);
  assert.ok(exposure <= 2.0, `exposure ${exposure}`);
  assert.ok(exposure < before, `${exposure} < ${before}`);
  const verify = run("systemd-analyze", ["verify", path]);
  assert.equal(verify.status, 0, verify.out);
  assert.equal(verify.out.trim(), "", "no warnings");
});
