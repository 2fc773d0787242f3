/**
 * The Docker-mode broker's host gets its engine: Debian's docker.io and the packaged docker.service
 * running, and daemon.json's insecure-registries only when the broker's image comes from a
 * registry the stack says serves plain HTTP.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { render } from "../../../src/services/mqtt-broker/render";
import { daemonJsonPath } from "../../../src/services/mqtt-broker/docker-engine";
import { fileAt, fragmentOf, homeFleet, unitNamed, type RawFleet } from "../../render/fixtures";
import { nativeHomeFleet } from "../../render/vega-fixtures";

const digest = `sha256:${"a".repeat(64)}`;
const broker = (change: (raw: RawFleet) => void = () => {}) =>
  fragmentOf(render, "mqtt-broker", homeFleet(change), "vega");
const fromRegistry = (insecure: boolean, image = `nas.home.arpa:5000/eclipse-mosquitto@${digest}`) =>
  broker((raw) => {
    raw.site.nas.registry = { address: "nas.home.arpa:5000", insecure };
    raw.images["mqtt-broker"] = image;
  });

test("docker mode: Debian's docker.io, and its packaged docker.service enabled and running", () => {
  const f = broker();
  assert.ok(f.packages!.includes("docker.io"));
  const unit = unitNamed(f, "docker.service");
  assert.deepEqual(
    [unit.content, unit.enabled, unit.active, unit.longRunning, unit.dropIn],
    [null, true, true, true, undefined],
  );
  assert.ok(!f.files!.some((file) => file.path === daemonJsonPath), "no daemon.json: Docker Hub over HTTPS");
});

test("native mode: no Docker engine at all", () => {
  const f = fragmentOf(render, "mqtt-broker", nativeHomeFleet(), "vega");
  assert.ok(!f.packages!.includes("docker.io"));
  assert.ok(!f.units!.some((u) => u.name === "docker.service"));
});

test("an image from an insecure registry: daemon.json names it, and a change restarts docker.service", () => {
  const f = fromRegistry(true);
  const file = fileAt(f, daemonJsonPath);
  assert.deepEqual(JSON.parse(file.content), { "insecure-registries": ["nas.home.arpa:5000"] });
  assert.deepEqual([file.mode, file.owner, file.restarts], ["0644", "root", ["docker.service"]]);
  assert.ok(f.directories!.some((d) => d.path === "/etc/docker"));
});

test("a secure registry, or an image from elsewhere, leaves dockerd's defaults alone", () => {
  assert.ok(!fromRegistry(false).files!.some((file) => file.path === daemonJsonPath));
  const elsewhere = fromRegistry(true, `eclipse-mosquitto:2.0.20@${digest}`);
  assert.ok(!elsewhere.files!.some((file) => file.path === daemonJsonPath));
  // A registry whose address is only a prefix of the image's registry is another registry.
  const lookalike = fromRegistry(true, `nas.home.arpa:50000/eclipse-mosquitto@${digest}`);
  assert.ok(!lookalike.files!.some((file) => file.path === daemonJsonPath));
});

test("a bad registry is refused with its field", () => {
  assert.throws(
    () => broker((raw) => (raw.site.nas.registry = { address: "nas.home.arpa:99999" })),
    /site\.nas\.registry\.address: expected a container registry as host or host:port.*the port must be 1-65535/,
  );
  assert.throws(
    () => broker((raw) => (raw.site.nas.registry = { address: "nas.home.arpa:5000", insecure: "yes" })),
    /site\.nas\.registry\.insecure: expected true \(the registry serves plain HTTP\) or false \(HTTPS\)/,
  );
});
