/** The resolved fleet: presets, overrides, placement, implicit MQTT users and the secret list. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { hostRunning } from "../../src/model/fleet";
import { requiredSecretKeys } from "../../src/model/secrets";
import { loadStackFile, parseFleet } from "../../src/model/load";
import { stackFleet } from "../support/stack-fleet";
import { brokerOf } from "../../src/services/mqtt-broker/placement";
import { configSourceOf } from "../../src/services/config-source/placement";

const raw = () => stackFleet("home");

test("role presets place the runbook's services; the model's ups is placed on lyra", () => {
  const fleet = loadStackFile("stacks/Pulumi.home.yaml");
  const services = (name: string) => Object.keys(fleet.hosts.find((h) => h.name === name)!.services).sort();
  assert.deepEqual(services("lyra"), [
    "backup",
    "health-publisher",
    "lyra-orchestrator",
    "mkdocs",
    "node-exporter",
    "nodered",
    "qdrant",
    "timesync",
    "ups",
  ]);
  assert.deepEqual(services("vega"), [
    "backup",
    "config-source",
    "health-publisher",
    "mqtt-broker",
    "node-exporter",
    "prometheus",
    "timesync",
  ]);
  assert.deepEqual(services("mirror-1"), [
    "backup",
    "config-sync",
    "health-publisher",
    "lyra-client",
    "mqtt-client",
    "node-exporter",
    "stt-service",
    "timesync",
  ]);
  assert.deepEqual(brokerOf(fleet), { host: "vega", port: 1883, mode: "docker" });
  assert.deepEqual(configSourceOf(fleet), { host: "vega", path: "/opt/lyra/config" });
});

test("settings default, and a host overrides, disables or moves a service", () => {
  const f = raw();
  f.hosts.lyra.services.mkdocs = { enabled: false };
  f.hosts.vega.services = { mkdocs: { port: 8080 }, "mqtt-broker": { mode: "native", port: 8883 } };
  const fleet = parseFleet(f, "test");
  assert.equal(hostRunning(fleet, "mkdocs")?.name, "vega");
  assert.equal(fleet.hosts.find((h) => h.name === "vega")!.services.mkdocs!.port, 8080);
  assert.deepEqual(brokerOf(fleet), { host: "vega", port: 8883, mode: "native" });
  assert.equal(fleet.hosts.find((h) => h.name === "lyra")!.services.mkdocs, undefined);
});

test("each mirror's MQTT user may publish only its own presence, health and registration", () => {
  const fleet = loadStackFile("stacks/Pulumi.home.yaml");
  const user = (n: string) => fleet.mqttUsers.find((u) => u.name === n)!;
  assert.deepEqual(user("mirror-1").publish, [
    "lyra/health/mirror-1",
    "lyra/presence/mirror-1",
    "lyra/clients/online/mirror-1",
  ]);
  assert.deepEqual(user("vega").publish, ["lyra/health/vega"]);
  assert.deepEqual(user("monitor").publish, ["lyra/test"]);
  assert.deepEqual(
    fleet.mqttUsers.map((u) => u.name),
    ["lyra", "mirror-1", "mirror-2", "monitor", "nodered", "orchestrator", "vega"],
  );
  // Each service user names the module that brings it (the docs' topology draws it with that
  // service's hosts); the monitor is the operator's (verify and the deploy gate), drawn apart.
  assert.deepEqual(
    fleet.mqttUsers.filter((u) => u.service).map((u) => [u.name, u.service, u.operator ?? false]),
    [
      ["monitor", "mqtt-broker", true],
      ["nodered", "nodered", false],
      ["orchestrator", "lyra-orchestrator", false],
    ],
  );
});

test("the secret keys follow the fleet: a new mirror adds its password", () => {
  const before = requiredSecretKeys(loadStackFile("stacks/Pulumi.home.yaml"));
  const f = raw();
  f.hosts["mirror-3"] = { ...f.hosts["mirror-2"], address: "192.168.1.23" };
  const after = requiredSecretKeys(parseFleet(f, "test"));
  assert.deepEqual(
    after.filter((k) => !before.includes(k)),
    ["mqtt-password-mirror-3"],
  );
  assert.ok(before.includes("mqtt-password-monitor"));
});

test("hosts come out sorted whatever the stack's order", () => {
  const f = raw();
  const reversed = Object.fromEntries(Object.entries(f.hosts).reverse());
  f.hosts = reversed;
  assert.deepEqual(
    parseFleet(f, "t").hosts.map((h) => h.name),
    ["lyra", "mirror-1", "mirror-2", "vega"],
  );
  assert.deepEqual(parseFleet(f, "t"), parseFleet(raw(), "t"));
});
