/** mqtt-client.service: the mirror's heartbeat and registration, as rendered (behaviour: test/services/mqtt-client/tools/mqtt-client.test.ts). */
import assert from "node:assert/strict";
import { test } from "node:test";

import { resolveSecrets, secretKeysIn } from "../../../src/render/secrets";
import {
  mqttClientConfigDir,
  mqttClientEnvPath,
  mqttClientScript,
  mqttClientScriptPath,
  mqttClientUnit,
  registrationPeriodSeconds,
  render,
} from "../../../src/services/mqtt-client/render";
import { testSecretValues } from "../../support/test-secrets";
import {
  envEntries,
  fileAt,
  fragmentOf,
  hardeningDeviations,
  homeFleet,
  renderedTexts,
  secretFiles,
  unitFile,
  unitNamed,
  unitValue,
  unitValues,
} from "../../render/fixtures";
import { onMirror, withMirrorSetting } from "../../render/mirror-fixtures";
import { mqttPasswordKey } from "../../../src/services/mqtt-broker/secrets";

const { fleet, fragment, unit } = onMirror(render, "mqtt-client", mqttClientUnit);
const credentialsPath = `${mqttClientConfigDir}/mosquitto_pub`;

test("the script, its settings and its credentials: paths, modes, owners, and a change restarts the unit", () => {
  const files = fragment.files!.map((f) => [f.path, f.mode, f.owner, f.group, f.restarts.join(",")]);
  assert.deepEqual(files, [
    [mqttClientScriptPath, "0755", "root", "root", mqttClientUnit],
    [mqttClientEnvPath, "0644", "root", "root", mqttClientUnit],
    [credentialsPath, "0600", "root", "root", mqttClientUnit],
  ]);
  assert.equal(
    fileAt(fragment, mqttClientScriptPath).content,
    mqttClientScript,
    "the script is generic: every host gets the same text",
  );
  assert.deepEqual(fragment.packages, ["mosquitto-clients"]);
});

test("settings: this mirror's name and topics, the broker as <host>.<domain>, the heartbeat interval from the model", () => {
  assert.deepEqual(envEntries(fileAt(fragment, mqttClientEnvPath).content), {
    MQTT_CLIENT: "mirror-1",
    MQTT_HOST: "vega.home.arpa",
    MQTT_PORT: "1883",
    HEARTBEAT_SECONDS: "15",
    PRESENCE_TOPIC: "lyra/presence/mirror-1",
    REGISTRATION_TOPIC: "lyra/clients/online/mirror-1",
    REGISTRATION_SECONDS: "30",
  });
  const changed = fragmentOf(
    render,
    "mqtt-client",
    withMirrorSetting("mqtt-client", { heartbeatSeconds: 5 }),
    "mirror-1",
  );
  assert.equal(envEntries(fileAt(changed, mqttClientEnvPath).content).HEARTBEAT_SECONDS, "5");
  const moved = homeFleet((raw) => {
    raw.hosts.vega.services = { "mqtt-broker": { enabled: false } };
    raw.hosts.lyra.services = { ...raw.hosts.lyra.services, "mqtt-broker": { port: 8883 } };
  });
  const env = envEntries(fileAt(fragmentOf(render, "mqtt-client", moved, "mirror-2"), mqttClientEnvPath).content);
  assert.equal(`${env.MQTT_HOST}:${env.MQTT_PORT}`, "lyra.home.arpa:8883");
  assert.equal(env.MQTT_CLIENT, "mirror-2");
});

test("every topic the script publishes to (heartbeat, registration, will) is one the mirror's MQTT user may publish", () => {
  for (const mirror of ["mirror-1", "mirror-2"]) {
    const env = envEntries(fileAt(fragmentOf(render, "mqtt-client", fleet, mirror), mqttClientEnvPath).content);
    const allowed = fleet.mqttUsers.find((u) => u.name === mirror)!.publish;
    assert.ok(allowed.includes(env.PRESENCE_TOPIC), `${mirror} may not publish ${env.PRESENCE_TOPIC}`);
    assert.ok(allowed.includes(env.REGISTRATION_TOPIC), `${mirror} may not publish ${env.REGISTRATION_TOPIC}`);
  }
});

test("credentials: the mirror's own user and password token, 0600, loaded as a credential; no password anywhere else", () => {
  const options = fileAt(fragment, credentialsPath).content;
  assert.deepEqual(secretKeysIn(options), [mqttPasswordKey("mirror-1")]);
  const secrets = testSecretValues([mqttPasswordKey("mirror-1")]);
  assert.equal(
    resolveSecrets(options, secrets),
    "-h vega.home.arpa\n-p 1883\n-u mirror-1\n-P TEST-SECRET-mqtt-password-mirror-1-7f3a\n",
  );
  assert.deepEqual(
    secretFiles(fragment).map((f) => [f.path, f.mode]),
    [[credentialsPath, "0600"]],
  );
  for (const text of renderedTexts(fragment))
    assert.ok(!Object.values(secrets).some((value) => text.includes(value)), "a test password in unresolved output");
  assert.deepEqual(unitValues(unit, "Service", "LoadCredential"), [`mosquitto_pub:${credentialsPath}`]);
  assert.deepEqual(unitValues(unit, "Service", "Environment"), ["XDG_CONFIG_HOME=%d"]);
  assert.doesNotMatch(mqttClientScript, / -P | -u |--pw|password/, "the script never handles a password itself");
});

test("the unit runs the script with /bin/sh, restarts every 30 s forever, reads its settings file", () => {
  assert.equal(unitValue(unit, "Service", "ExecStart"), `/bin/sh ${mqttClientScriptPath}`);
  assert.equal(unitValue(unit, "Service", "EnvironmentFile"), mqttClientEnvPath);
  assert.equal(unitValue(unit, "Service", "Restart"), "always");
  assert.equal(unitValue(unit, "Service", "RestartSec"), "30");
  assert.equal(unitValue(unit, "Unit", "StartLimitIntervalSec"), "0", "never stops retrying");
  assert.equal(unitValue(unit, "Service", "RuntimeDirectory"), "mqtt-client");
  assert.equal(unitValue(unit, "Install", "WantedBy"), "multi-user.target");
  const planned = unitNamed(fragment, mqttClientUnit);
  assert.deepEqual([planned.enabled, planned.active, planned.longRunning], [true, true, true]);
  assert.deepEqual(planned.after, [
    { kind: "container", label: "vega/broker", host: "vega", container: "mqtt-broker" },
  ]);
});

test("the restart interval is lyra-client's reconnect interval, or the runbook's 30 s without lyra-client", () => {
  const slower = fragmentOf(
    render,
    "mqtt-client",
    withMirrorSetting("lyra-client", { reconnectSeconds: 45 }),
    "mirror-1",
  );
  assert.equal(unitValue(unitFile(slower, mqttClientUnit), "Service", "RestartSec"), "45");
  const alone = fragmentOf(render, "mqtt-client", withMirrorSetting("lyra-client", { enabled: false }), "mirror-1");
  assert.equal(unitValue(unitFile(alone, mqttClientUnit), "Service", "RestartSec"), "30");
});

test("sandbox: the hardened baseline plus a transient user and a private user namespace, nothing relaxed", () => {
  assert.deepEqual(hardeningDeviations(unit), {});
  assert.equal(unitValue(unit, "Service", "DynamicUser"), "yes");
  assert.equal(unitValue(unit, "Service", "PrivateUsers"), "yes");
});

test("the script: Debian's binaries, heartbeats not retained, registration and will retained, a reconnect ends it", () => {
  assert.ok(mqttClientScript.startsWith("#!/bin/sh\n"));
  const heartbeatClient = mqttClientScript.slice(
    mqttClientScript.indexOf("/usr/bin/stdbuf"),
    mqttClientScript.indexOf("pub_pid=$!"),
  );
  assert.match(heartbeatClient, /\/usr\/bin\/mosquitto_pub .*-t "\$PRESENCE_TOPIC" -l/s);
  assert.doesNotMatch(heartbeatClient, / -r /, "heartbeats are not retained");
  assert.match(
    heartbeatClient,
    /--will-topic "\$REGISTRATION_TOPIC" --will-payload "\$offline" --will-qos 1 --will-retain/,
  );
  assert.match(mqttClientScript, /offline=\$\(printf '\{"client":"%s","online":false\}' "\$MQTT_CLIENT"\)/);
  assert.match(mqttClientScript, /online=\$\(printf '\{"client":"%s","online":true,/);
  assert.match(mqttClientScript, /-q 1 -r -t "\$REGISTRATION_TOPIC" -m "\$online"/);
  assert.doesNotMatch(mqttClientScript, /\bbash\b|\[\[|local |function /, "POSIX sh only (dash)");
});

test("checks and recovery: the unit, a heartbeat within 60 s, the registration, and the runbook's commands", () => {
  assert.deepEqual(fragment.checks, [
    { kind: "unit", name: "mirror-1: mqtt-client.service active", unit: mqttClientUnit },
    {
      kind: "mqtt-fresh",
      name: "mirror-1: heartbeat on lyra/presence/mirror-1",
      topic: "lyra/presence/mirror-1",
      withinSeconds: 60,
    },
    {
      kind: "mqtt-registered",
      name: "mirror-1: registered on lyra/clients/online/mirror-1",
      topic: "lyra/clients/online/mirror-1",
      client: "mirror-1",
      withinSeconds: 60,
    },
  ]);
  const commands = fragment.recovery!.flatMap((r) => r.commands);
  assert.ok(commands.includes("systemctl restart mqtt-client"));
  // Presence takes the monitor user, so it is watched from the operator's machine: the broker at its
  // address, the password from the stack, and it ends after one heartbeat per mirror.
  assert.deepEqual(
    fragment.recovery!.flatMap((r) => r.operatorCommands ?? []).filter((c) => c.includes("lyra/presence/#")),
    [
      `mosquitto_sub -h 192.168.1.11 -p 1883 -u monitor -P "$(pulumi config get --stack <stack> mqtt-password-monitor)" -t 'lyra/presence/#' -v -C 2 -W 35`,
    ],
  );
});

test("the registration repeats in whole heartbeats, at most every 30 s, and the check waits two periods", () => {
  assert.deepEqual([1, 7, 15, 30, 45, 60].map(registrationPeriodSeconds), [30, 28, 30, 30, 45, 60]);
  const slow = fragmentOf(
    render,
    "mqtt-client",
    withMirrorSetting("mqtt-client", { heartbeatSeconds: 45 }),
    "mirror-1",
  );
  const check = slow.checks!.find((c) => c.kind === "mqtt-registered")!;
  assert.equal((check as { withinSeconds: number }).withinSeconds, 90);
});

test("deterministic: the same model renders the same fragment", () => {
  assert.deepEqual(fragmentOf(render, "mqtt-client", homeFleet(), "mirror-1"), fragment);
});
