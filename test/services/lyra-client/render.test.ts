/** lyra-client.service: the mirror's app with the runbook's offline fallback, as rendered. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { resolveSecrets, secretKeysIn } from "../../../src/render/secrets";
import {
  fallbackEnvPath,
  fallbackLogTarget,
  lyraClientUnit,
  mqttPasswordPath,
  render,
  tmpfilesPath,
} from "../../../src/services/lyra-client/render";
import { testSecretValues } from "../../support/test-secrets";
import {
  envEntries,
  fileAt,
  fragmentOf,
  hardeningDeviations,
  renderedTexts,
  secretFiles,
  unitFile,
  unitNamed,
  unitValue,
  unitValues,
} from "../../render/fixtures";
import { onMirror, withMirrorSetting } from "../../render/mirror-fixtures";
import { mqttPasswordKey } from "../../../src/services/mqtt-broker/secrets";

const { fragment, unit } = onMirror(render, "lyra-client", lyraClientUnit);

test("fallback settings: the runbook's cache, fallback log and 30 s reconnect, the broker URL, the apps it talks to", () => {
  const file = fileAt(fragment, fallbackEnvPath);
  assert.deepEqual([file.mode, file.owner, file.restarts], ["0644", "root", [lyraClientUnit]]);
  assert.deepEqual(envEntries(file.content), {
    LYRA_CLIENT_NAME: "mirror-1",
    LYRA_CLIENT_VERSION: "1.4.2",
    LYRA_CLIENT_PORT: "8300",
    LYRA_BROKER_URL: "mqtt://vega.home.arpa:1883",
    LYRA_MQTT_USERNAME: "mirror-1",
    LYRA_ORCHESTRATOR_URL: "http://lyra.home.arpa:8000",
    LYRA_STT_URL: "http://127.0.0.1:8200",
    LYRA_CACHE_DIR: "/var/lib/lyra/cache",
    LYRA_FALLBACK_LOG: "/var/log/lyra-fallback.log",
    LYRA_RECONNECT_SECONDS: "30",
  });
});

test("restarts every reconnectSeconds, forever; a slower reconnect changes both the unit and the settings", () => {
  assert.equal(unitValue(unit, "Service", "Restart"), "always");
  assert.equal(unitValue(unit, "Service", "RestartSec"), "30");
  assert.equal(unitValue(unit, "Unit", "StartLimitIntervalSec"), "0");
  const slower = fragmentOf(
    render,
    "lyra-client",
    withMirrorSetting("lyra-client", { reconnectSeconds: 45 }),
    "mirror-1",
  );
  assert.equal(unitValue(unitFile(slower, lyraClientUnit), "Service", "RestartSec"), "45");
  assert.equal(envEntries(fileAt(slower, fallbackEnvPath).content).LYRA_RECONNECT_SECONDS, "45");
});

test("the cache is created by systemd at exactly the cache path, for the client's transient user", () => {
  assert.equal(
    unitValue(unit, "Service", "StateDirectory"),
    "lyra/cache",
    "/var/lib/ + lyra/cache = /var/lib/lyra/cache",
  );
  assert.equal(unitValue(unit, "Service", "DynamicUser"), "yes");
  const underCache = fragmentOf(
    render,
    "lyra-client",
    withMirrorSetting("lyra-client", { cachePath: "/var/cache/lyra/answers" }),
    "mirror-1",
  );
  const content = unitFile(underCache, lyraClientUnit);
  assert.deepEqual(
    [unitValues(content, "Service", "StateDirectory"), unitValues(content, "Service", "CacheDirectory")],
    [[], ["lyra/answers"]],
  );
  assert.throws(
    () => fragmentOf(render, "lyra-client", withMirrorSetting("lyra-client", { cachePath: "/srv/cache" }), "mirror-1"),
    /^FleetConfigError: test-stack\.yaml: 1 problem .*\n {2}- hosts\.mirror-1\.services\.lyra-client\.cachePath: expected a path under \/var\/lib\/ or \/var\/cache\/ \(systemd creates it for the client's user\)$/,
  );
});

test("the fallback log: the runbook's path is a tmpfiles symlink into the unit's log directory, made before each start", () => {
  const tmpfiles = fileAt(fragment, tmpfilesPath);
  assert.deepEqual([tmpfiles.mode, tmpfiles.owner], ["0644", "root"]);
  assert.deepEqual(
    tmpfiles.content.split("\n").filter((l) => l && !l.startsWith("#")),
    [`L /var/log/lyra-fallback.log - - - - ${fallbackLogTarget}`],
  );
  assert.equal(fallbackLogTarget, "/var/log/lyra-client/fallback.log");
  assert.equal(unitValue(unit, "Service", "LogsDirectory"), "lyra-client");
  assert.deepEqual(unitValues(unit, "Service", "ExecStartPre"), [
    `+/bin/systemd-tmpfiles --create ${tmpfilesPath}`,
    `/bin/touch ${fallbackLogTarget}`,
  ]);
  const moved = fragmentOf(
    render,
    "lyra-client",
    withMirrorSetting("lyra-client", { fallbackLog: "/var/log/lyra/fallback.log" }),
    "mirror-1",
  );
  assert.match(
    fileAt(moved, tmpfilesPath).content,
    /^L \/var\/log\/lyra\/fallback\.log - - - - \/var\/log\/lyra-client\/fallback\.log$/m,
  );
  assert.throws(
    () =>
      fragmentOf(
        render,
        "lyra-client",
        withMirrorSetting("lyra-client", { fallbackLog: "/var/log/lyra-client/x.log" }),
        "mirror-1",
      ),
    /hosts\.mirror-1\.services\.lyra-client\.fallbackLog: expected a path outside \/var\/log\/lyra-client, the client's own log directory/,
  );
});

test("MQTT password: 0600, loaded as a credential, its path in the environment, the value nowhere else", () => {
  assert.deepEqual(
    secretFiles(fragment).map((f) => [f.path, f.mode, f.owner]),
    [[mqttPasswordPath, "0600", "root"]],
  );
  const file = fileAt(fragment, mqttPasswordPath);
  assert.deepEqual(secretKeysIn(file.content), [mqttPasswordKey("mirror-1")]);
  const secrets = testSecretValues([mqttPasswordKey("mirror-1")]);
  assert.equal(resolveSecrets(file.content, secrets), secrets[mqttPasswordKey("mirror-1")]);
  for (const text of renderedTexts(fragment))
    assert.ok(!Object.values(secrets).some((value) => text.includes(value)), "a test password in unresolved output");
  assert.deepEqual(unitValues(unit, "Service", "LoadCredential"), [`mqtt-password:${mqttPasswordPath}`]);
  assert.deepEqual(unitValues(unit, "Service", "Environment"), ["LYRA_MQTT_PASSWORD_FILE=%d/mqtt-password"]);
});

test("the unit: the installed binary after stt-service, baseline sandbox plus a private user namespace", () => {
  assert.equal(unitValue(unit, "Service", "ExecStart"), "/opt/lyra/apps/lyra-client/1.4.2/bin/lyra-client");
  assert.equal(unitValue(unit, "Service", "EnvironmentFile"), fallbackEnvPath);
  assert.equal(unitValue(unit, "Unit", "After"), "network-online.target stt-service.service");
  assert.deepEqual(hardeningDeviations(unit), {});
  assert.equal(unitValue(unit, "Service", "PrivateUsers"), "yes");
  const planned = unitNamed(fragment, lyraClientUnit);
  assert.deepEqual(
    [planned.enabled, planned.active, planned.longRunning, planned.after],
    [true, true, true, [{ kind: "container", label: "vega/broker", host: "vega", container: "mqtt-broker" }]],
  );
});

test("without stt-service on the host: no STT URL and no ordering after it", () => {
  const alone = fragmentOf(render, "lyra-client", withMirrorSetting("stt-service", { enabled: false }), "mirror-1");
  assert.equal(envEntries(fileAt(alone, fallbackEnvPath).content).LYRA_STT_URL, undefined);
  assert.equal(unitValue(unitFile(alone, lyraClientUnit), "Unit", "After"), "network-online.target");
});

test("checks and recovery: the unit, GET /healthz, and the runbook's restart and fallback log", () => {
  assert.deepEqual(fragment.checks, [
    {
      kind: "command",
      name: "mirror-1: lyra-client 1.4.2 installed",
      command: `grep -qx '${"0".repeat(64)} 1.4.2' /opt/lyra/apps/lyra-client/1.4.2/.lyra-artifact`,
    },
    { kind: "unit", name: "mirror-1: lyra-client.service active", unit: lyraClientUnit },
    {
      kind: "http",
      name: "mirror-1: lyra-client health",
      url: "http://mirror-1.home.arpa:8300/healthz",
      expectStatus: 200,
    },
  ]);
  assert.deepEqual(fragment.ports, [{ port: 8300, protocol: "tcp", service: "lyra-client" }]);
  const commands = fragment.recovery!.flatMap((r) => r.commands);
  assert.ok(commands.includes("systemctl restart lyra-client"));
  assert.ok(commands.includes("tail /var/log/lyra-fallback.log"));
});

test("what it does while the broker is away, for the docs' emergency mode: its cache, fallback log and reconnect", () => {
  assert.deepEqual(fragment.offline, [
    { service: "lyra-client", cachePath: "/var/lib/lyra/cache", log: "/var/log/lyra-fallback.log", retrySeconds: 30 },
  ]);
  const slower = fragmentOf(
    render,
    "lyra-client",
    withMirrorSetting("lyra-client", { reconnectSeconds: 45 }),
    "mirror-1",
  );
  assert.equal(slower.offline![0].retrySeconds, 45);
});
