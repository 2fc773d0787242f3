/** The broker renderer: mosquitto.conf, passwd, ACL, container or unit, metrics, checks, recovery. */
import assert from "node:assert/strict";
import { test } from "node:test";

import type { PlanFragment } from "../../../src/render/plan";
import { mosquittoPasswordHash, resolveSecrets, secretKeysIn } from "../../../src/render/secrets";
import { brokerBackup, render } from "../../../src/services/mqtt-broker/render";
import { brokerPaths } from "../../../src/services/mqtt-broker/mosquitto-config";
import { testSecretValues } from "../../support/test-secrets";
import { fileAt, fragmentOf, homeFleet, unitFile, unitNamed, unitValues } from "../../render/fixtures";
import { nativeHomeFleet } from "../../render/vega-fixtures";
import { mqttPasswordKey } from "../../../src/services/mqtt-broker/secrets";

const docker = () => fragmentOf(render, "mqtt-broker", homeFleet(), "vega");
const native = () => fragmentOf(render, "mqtt-broker", nativeHomeFleet(), "vega");

/** `key value` lines of mosquitto.conf as a map; a repeated key (other than log_type) fails. */
function confMap(content: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of content.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const [key, ...rest] = line.split(" ");
    if (key !== "log_type") assert.ok(!map.has(key), `${key} set twice`);
    map.set(key, rest.join(" "));
  }
  return map;
}

/** The ACL as user -> topic -> access. */
function aclMap(content: string): Map<string, Map<string, string>> {
  const users = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of content.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const user = /^user (\S+)$/.exec(line);
    const topic = /^topic (read|write|readwrite) (.+)$/.exec(line);
    if (user) users.set(user[1], (current = new Map()));
    else if (topic && current) current.set(topic[2], topic[1]);
    else assert.fail(`unexpected ACL line (or a topic before any user): ${line}`);
  }
  return users;
}

test("mosquitto.conf: the configured port, no anonymous clients, password and ACL files, persistence, logs to stderr", () => {
  for (const [fragment, mode] of [
    [docker(), "docker"],
    [native(), "native"],
  ] as const) {
    const conf = confMap(fileAt(fragment, brokerPaths.conf).content);
    assert.equal(conf.get("listener"), "1883", mode);
    assert.equal(conf.get("allow_anonymous"), "false");
    assert.equal(conf.get("persistence"), "true");
    assert.equal(conf.get("log_dest"), "stderr", "stdout is block-buffered under systemd: the journal stayed empty");
    assert.match(conf.get("persistence_location")!, /^\/.+\/$/);
  }
  const d = confMap(fileAt(docker(), brokerPaths.conf).content);
  assert.deepEqual(
    [d.get("password_file"), d.get("acl_file"), d.get("persistence_location")],
    ["/mosquitto/config/passwd", "/mosquitto/config/acl", "/mosquitto/data/"],
  );
  const n = confMap(fileAt(native(), brokerPaths.conf).content);
  assert.deepEqual(
    [n.get("password_file"), n.get("acl_file"), n.get("persistence_location")],
    [
      "/run/credentials/mqtt-broker.service/passwd",
      "/run/credentials/mqtt-broker.service/acl",
      "/var/lib/mqtt-broker/",
    ],
  );
  const other = fragmentOf(
    render,
    "mqtt-broker",
    homeFleet((raw) => (raw.hosts.vega.services = { "mqtt-broker": { port: 1884 } })),
    "vega",
  );
  assert.equal(confMap(fileAt(other, brokerPaths.conf).content).get("listener"), "1884");
  assert.deepEqual(other.ports, [{ port: 1884, protocol: "tcp", service: "mqtt-broker" }]);
  assert.deepEqual(other.containers![0].ports, [{ container: 1884, host: 1884, protocol: "tcp" }]);
});

test("passwd: one line per MQTT user with a mosquitto hash token; resolved, each is that user's PBKDF2 hash", () => {
  const fleet = homeFleet();
  const passwd = fileAt(docker(), brokerPaths.passwd).content;
  const lines = passwd.trimEnd().split("\n");
  assert.deepEqual(
    lines.map((l) => l.split(":")[0]),
    fleet.mqttUsers.map((u) => u.name),
  );
  assert.ok(lines.length >= 7, "hosts, orchestrator, nodered and monitor");
  const secrets = testSecretValues(secretKeysIn(passwd));
  assert.deepEqual(Object.keys(secrets), fleet.mqttUsers.map((u) => mqttPasswordKey(u.name)).sort());
  const resolved = resolveSecrets(passwd, secrets);
  for (const user of fleet.mqttUsers) {
    assert.ok(
      resolved.includes(`${user.name}:${mosquittoPasswordHash(user.name, secrets[mqttPasswordKey(user.name)])}\n`),
      user.name,
    );
  }
  for (const value of Object.values(secrets)) assert.ok(!resolved.includes(value), "a password in plain text");
});

test("ACL: every user's publish list is write, subscribe is read; mirrors write only their own presence, health and registration", () => {
  const fleet = homeFleet(
    (raw) =>
      (raw.mqtt = { users: { dashboard: { publish: ["lyra/ui/#"], subscribe: ["lyra/ui/#", "lyra/presence/+"] } } }),
  );
  const acl = aclMap(fileAt(fragmentOf(render, "mqtt-broker", fleet, "vega"), brokerPaths.acl).content);
  assert.deepEqual(
    [...acl.keys()],
    fleet.mqttUsers.map((u) => u.name),
  );
  for (const user of fleet.mqttUsers) {
    const rules = acl.get(user.name)!;
    for (const t of user.publish) assert.match(rules.get(t) ?? "", /write/, `${user.name} publish ${t}`);
    for (const t of user.subscribe) assert.match(rules.get(t) ?? "", /read/, `${user.name} subscribe ${t}`);
  }
  assert.deepEqual(Object.fromEntries(acl.get("dashboard")!), { "lyra/ui/#": "readwrite", "lyra/presence/+": "read" });
  for (const mirror of ["mirror-1", "mirror-2"]) {
    const writable = [...acl.get(mirror)!]
      .filter(([, a]) => a.includes("write"))
      .map(([t]) => t)
      .sort();
    assert.deepEqual(writable, [`lyra/clients/online/${mirror}`, `lyra/health/${mirror}`, `lyra/presence/${mirror}`]);
  }
  // A host may bear the name of a property every object inherits (it crashed the ACL's render).
  const renamed = homeFleet((raw) => {
    raw.hosts.constructor = raw.hosts["mirror-2"];
    delete raw.hosts["mirror-2"];
  });
  const constructorRules = aclMap(fileAt(fragmentOf(render, "mqtt-broker", renamed, "vega"), brokerPaths.acl).content);
  assert.equal(constructorRules.get("constructor")!.get("lyra/presence/constructor"), "write");
  // The monitor reads $SYS for the healthcheck and the metrics; nobody else does.
  assert.equal(acl.get("monitor")!.get("$SYS/broker/#"), "read");
  assert.deepEqual(
    [...acl].filter(([, rules]) => [...rules.keys()].some((t) => t.startsWith("$SYS"))).map(([u]) => u),
    ["monitor"],
  );
});

test("ACL: a topic with a newline (which would smuggle in rules) is refused by the model, naming the field", () => {
  assert.throws(
    () => homeFleet((raw) => (raw.mqtt = { users: { sneaky: { publish: ["lyra/x\nuser orchestrator"] } } })),
    /\n {2}- mqtt\.users\.sneaky\.publish\.0: expected an MQTT topic filter.*; this one holds a line break/,
  );
});

test("docker mode: the runbook's mqtt-broker container, pinned image, read-only config, data volume, MQTT healthcheck", () => {
  const fleet = homeFleet();
  const f = docker();
  assert.equal(f.containers?.length, 1);
  const c = f.containers![0];
  assert.equal(c.name, "mqtt-broker");
  assert.equal(c.image, fleet.images["mqtt-broker"]);
  assert.match(c.image, /@sha256:[a-f0-9]{64}$/);
  assert.equal(c.restart, "unless-stopped");
  assert.deepEqual(c.mounts, [
    { source: "/etc/mosquitto/lyra", target: "/mosquitto/config", readOnly: true, kind: "bind" },
    { source: "mqtt-broker-data", target: "/mosquitto/data", readOnly: false, kind: "volume" },
  ]);
  // The healthcheck logs in as the monitor through the options file inside the mounted directory.
  const [form, env, xdg, program, ...args] = c.healthcheck.test;
  assert.deepEqual([form, env, program], ["CMD", "env", "mosquitto_sub"]);
  assert.equal(xdg, "XDG_CONFIG_HOME=/mosquitto/config/monitor");
  assert.ok(
    f.files!.some((file) => file.path === "/etc/mosquitto/lyra/monitor/mosquitto_sub"),
    "the file behind the mount",
  );
  assert.deepEqual(args, ["-t", "$SYS/broker/uptime", "-C", "1", "-W", "5"]);
  assert.ok(c.healthcheck.timeoutSeconds > 5, "the client's own deadline ends first");
  assert.deepEqual(c.configFiles, [brokerPaths.conf, brokerPaths.passwd, brokerPaths.acl]);
  for (const path of c.configFiles)
    assert.ok(
      f.files!.some((file) => file.path === path),
      path,
    );
  assert.equal(c.labels["org.lyra-fleet.service"], "mqtt-broker");
  assert.ok(!f.units!.some((u) => u.name === "mqtt-broker.service"));
  assert.deepEqual(f.packages, ["mosquitto-clients", "docker.io"], "no broker package; Debian's Docker engine");
  // Changes recreate the container (configFiles hash); no unit restarts.
  for (const file of f.files!) assert.deepEqual(file.restarts, [], file.path);
  // mosquitto reads passwd and ACL after dropping to the image's user (gid 1883).
  assert.deepEqual([fileAt(f, brokerPaths.passwd).mode, fileAt(f, brokerPaths.passwd).group], ["0640", "1883"]);
  const commands = f.recovery![0].commands;
  for (const cmd of ["docker ps", "docker logs --tail 100 mqtt-broker", "docker restart mqtt-broker"])
    assert.ok(
      commands.some((c) => c.startsWith(cmd)),
      cmd,
    );
  assert.equal(commands[0], "systemctl status docker");
  assert.ok(f.checks!.some((c) => c.kind === "container" && c.container === "mqtt-broker"));
});

test("native mode: mqtt-broker.service runs Debian's mosquitto on the same files, dynamic user, credentials, state", () => {
  const n = native();
  const d = docker();
  assert.deepEqual(
    n.files!.map((f) => f.path),
    d.files!.map((f) => f.path),
    "same paths in both modes",
  );
  assert.deepEqual(n.containers, []);
  const unit = unitNamed(n, "mqtt-broker.service");
  assert.deepEqual([unit.enabled, unit.active, unit.longRunning], [true, true, true]);
  const c = unit.content!;
  assert.deepEqual(unitValues(c, "Service", "ExecStart"), [
    "/usr/sbin/mosquitto -c /etc/mosquitto/lyra/mosquitto.conf",
  ]);
  assert.deepEqual(unitValues(c, "Service", "Type"), ["notify"]);
  assert.deepEqual(unitValues(c, "Service", "DynamicUser"), ["yes"]);
  assert.deepEqual(
    unitValues(c, "Service", "StateDirectory"),
    ["mqtt-broker"],
    "matches persistence_location /var/lib/mqtt-broker/",
  );
  assert.deepEqual(unitValues(c, "Service", "LoadCredential"), [
    "passwd:/etc/mosquitto/lyra/passwd",
    "acl:/etc/mosquitto/lyra/acl",
  ]);
  assert.deepEqual(unitValues(c, "Service", "CapabilityBoundingSet"), [""]);
  assert.deepEqual(unitValues(c, "Unit", "Conflicts"), ["mosquitto.service"]);
  // Without an ordering, systemd stops Debian's unit in parallel with our start: port 1883 still taken.
  assert.ok(unitValues(c, "Unit", "After").includes("mosquitto.service"), "ordered after the unit it stops");
  const debian = unitNamed(n, "mosquitto.service");
  assert.deepEqual(
    [debian.content, debian.enabled, debian.active],
    [null, false, false],
    "Debian's broker unit kept off port 1883",
  );
  assert.deepEqual(n.packages, ["mosquitto", "mosquitto-clients"]);
  for (const path of [brokerPaths.conf, brokerPaths.passwd, brokerPaths.acl])
    assert.deepEqual(fileAt(n, path).restarts, ["mqtt-broker.service"], path);
  for (const path of [brokerPaths.passwd, brokerPaths.acl])
    assert.deepEqual([fileAt(n, path).mode, fileAt(n, path).group], ["0600", "root"]);
  assert.ok(n.recovery![0].commands.includes("systemctl restart mqtt-broker"));
  assert.ok(
    n.checks!.some(
      (c) => c.kind === "unit" && c.unit === "mqtt-broker.service" && c.name === "vega: mqtt-broker.service active",
    ),
  );
});

test("secrets: only tokens in rendered files; secret-bearing files are never world-readable", () => {
  for (const f of [docker(), native()]) {
    for (const file of f.files!) {
      if (secretKeysIn(file.content).length > 0) assert.match(file.mode, /^0[0-7][0-4]0$/, `${file.path} ${file.mode}`);
      assert.doesNotMatch(file.content, /TEST-SECRET/);
    }
    const monitor = fileAt(f, "/etc/mosquitto/lyra/monitor/mosquitto_sub");
    assert.equal(monitor.mode, "0600");
    assert.deepEqual(secretKeysIn(monitor.content), ["mqtt-password-monitor"]);
    assert.match(monitor.content, /^-u monitor$/m);
    assert.match(
      monitor.content,
      /^-h 127\.0\.0\.1$/m,
      "the broker host talks to itself (healthcheck inside the container too)",
    );
  }
});

test("broker metrics: a script, a oneshot and its timer, fed by the monitor credential, writing the node exporter's textfile", () => {
  const f: PlanFragment = native();
  const script = fileAt(f, "/usr/local/lib/lyra/mqtt-broker-metrics");
  assert.equal(script.mode, "0755");
  assert.match(script.content, /^#!\/bin\/sh\n/);
  const service = unitNamed(f, "mqtt-broker-metrics.service");
  const timer = unitNamed(f, "mqtt-broker-metrics.timer");
  assert.deepEqual([service.enabled, service.active, timer.enabled, timer.active], [false, false, true, true]);
  assert.deepEqual(service.after, [
    { kind: "unit", label: "vega/mqtt-broker.service", host: "vega", unit: "mqtt-broker.service" },
  ]);
  const c = service.content!;
  assert.deepEqual(unitValues(c, "Service", "LoadCredential"), [
    "mosquitto_sub:/etc/mosquitto/lyra/monitor/mosquitto_sub",
  ]);
  const env = unitValues(c, "Service", "Environment");
  assert.ok(env.includes("XDG_CONFIG_HOME=%d"));
  assert.ok(env.includes("LYRA_METRICS_FILE=/var/lib/prometheus/node-exporter/mqtt_broker.prom"));
  assert.ok(env.includes('"LYRA_HEARTBEAT_MIRRORS=mirror-1 mirror-2"'));
  // The window must outlast the slowest mirror's heartbeat interval (15 s by default).
  assert.ok(env.includes("LYRA_HEARTBEAT_WINDOW=20"));
  assert.deepEqual(unitValues(c, "Service", "ReadWritePaths"), ["/var/lib/prometheus/node-exporter"]);
  assert.deepEqual(unitValues(c, "Service", "IPAddressDeny"), ["any"]);
  assert.ok(Number(unitValues(c, "Service", "TimeoutStartSec")[0]) > 20 + 10);
  assert.ok(f.checks!.some((k) => k.kind === "unit" && k.unit === "mqtt-broker-metrics.timer"));

  const slow = fragmentOf(
    render,
    "mqtt-broker",
    homeFleet((raw) => (raw.hosts["mirror-2"].services = { "mqtt-client": { heartbeatSeconds: 45 } })),
    "vega",
  );
  assert.ok(
    unitValues(unitFile(slow, "mqtt-broker-metrics.service"), "Service", "Environment").includes(
      "LYRA_HEARTBEAT_WINDOW=50",
    ),
  );

  // Without a node exporter on the broker host there is nowhere to put the metrics.
  const bare = fragmentOf(
    render,
    "mqtt-broker",
    homeFleet((raw) => (raw.hosts.vega.services = { "node-exporter": { enabled: false } })),
    "vega",
  );
  assert.ok(!bare.units!.some((u) => u.name.startsWith("mqtt-broker-metrics")));
  assert.ok(!bare.files!.some((file) => file.path.includes("metrics")));
});

test("checks, ports and determinism", () => {
  const f = docker();
  assert.deepEqual(f.ports, [{ port: 1883, protocol: "tcp", service: "mqtt-broker" }]);
  assert.ok(f.checks!.some((c) => c.kind === "mqtt-roundtrip" && c.topic === "lyra/test"));
  assert.equal(JSON.stringify(docker()), JSON.stringify(f));
  assert.equal(JSON.stringify(native()), JSON.stringify(native()));
  // Every host's retained health, and the command ends: 3 messages (lyra, vega, mirror-1) within 10 s.
  assert.ok(
    f.recovery![0].commands.includes(
      "XDG_CONFIG_HOME=/etc/mosquitto/lyra/monitor mosquitto_sub -t 'lyra/health/#' -v -C 4 -W 10",
    ),
    f.recovery![0].commands.join("\n"),
  );
});

test("its recovery scenario (the docs' 'Broker failure') is the module's: port, mode, what pulumi up recreates, the MQTT checks", () => {
  const dockerScenario = docker().recovery![0].scenario!;
  assert.equal(dockerScenario.title, "Broker failure");
  assert.equal(
    dockerScenario.situation,
    "the MQTT broker, port `1883`, as a Docker container. While it is down the mirrors are in emergency mode (below) and no heartbeats arrive.",
  );
  assert.equal(dockerScenario.gone, "container or unit gone, config edited");
  assert.deepEqual(dockerScenario.verify, { only: "mqtt", kinds: ["mqtt-roundtrip", "mqtt-fresh", "mqtt-registered"] });
  assert.match(native().recovery![0].scenario!.situation, /^the MQTT broker, port `\d+`, as a systemd service\. /);
  // Its container carries the label the docs use to list it under the scenario.
  assert.equal(docker().containers![0].labels["org.lyra-fleet.service"], "mqtt-broker");
});

test("what it serves the fleet, for the docs: port and mode, every host needs it powered on first, where clients connect", () => {
  assert.deepEqual(docker().serves, [
    {
      service: "mqtt-broker",
      summary: "MQTT broker, port 1883 (docker)",
      powerFirst: { name: "broker", why: "every other host connects to the broker" },
      // The docs' "the broker", the user MQTT checks log in as, and the registrations by hand.
      mqttBroker: {
        port: 1883,
        user: "monitor",
        watchRegistrations:
          "XDG_CONFIG_HOME=/etc/mosquitto/lyra/monitor mosquitto_sub -t 'lyra/clients/online/#' -v -C 2 -W 10",
      },
    },
  ]);
  assert.match(native().serves![0].summary, /^MQTT broker, port \d+ \(native\)$/);
});

test("data set: a restore into the Docker volume makes the volume first, then hands its files to the image's mosquitto; native mode leaves owners to systemd", () => {
  // Docker's `volume create` chowns an existing directory to root: it must come before the chown.
  const steps = brokerBackup("docker").afterRestore?.split("\n");
  assert.deepEqual(steps, ["docker volume create mqtt-broker-data >/dev/null", "chown -R 1883:1883 ."]);
  assert.equal(brokerBackup("docker").container, "mqtt-broker");
  // StateDirectory= with DynamicUser= makes systemd chown the restored files at the unit's start.
  assert.equal(brokerBackup("native").afterRestore, undefined);
  assert.match(unitValues(unitFile(native(), "mqtt-broker.service"), "Service", "StateDirectory")[0], /^mqtt-broker$/);
});
