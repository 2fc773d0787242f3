/** The config source renderer: the /opt/lyra/config tree (README.md, fleet.json) the mirrors pull. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { secretKeysIn } from "../../src/render/secrets";
import { render } from "../../src/render/services/config-source";
import { fileAt, fragmentOf, homeFleet } from "./vega-fixtures";

const fragment = () => fragmentOf(render, "config-source", homeFleet());

test("the tree: a world-readable directory with README.md and fleet.json, nothing restarted", () => {
  const f = fragment();
  assert.deepEqual(f.directories, [{ path: "/opt/lyra/config", mode: "0755", owner: "root", group: "root" }]);
  assert.deepEqual(f.files!.map((file) => [file.path, file.mode, file.owner, file.restarts.length]), [
    ["/opt/lyra/config/README.md", "0644", "root", 0],
    ["/opt/lyra/config/fleet.json", "0644", "root", 0],
  ]);
  // The mirrors pull with rsync over SSH.
  assert.deepEqual(f.packages, ["openssh-server", "rsync"]);
  assert.ok(f.checks!.some((c) => c.kind === "unit" && c.unit === "ssh.service"));
  assert.ok(f.recovery![0].commands.includes("id lyra-sync"));
});

test("fleet.json describes the fleet for the mirrors: broker, orchestrator, hosts, topics; no secrets", () => {
  const fleet = homeFleet();
  const json = fileAt(fragment(), "/opt/lyra/config/fleet.json").content;
  assert.deepEqual(secretKeysIn(json), []);
  assert.doesNotMatch(json, /password|@@secret/i);
  const d = JSON.parse(json);
  assert.deepEqual(d.broker, { host: "vega.home.arpa", port: 1883 });
  assert.deepEqual(d.orchestrator, { host: "lyra.home.arpa", url: "http://lyra.home.arpa:8000" });
  assert.deepEqual(d.configSource, { host: "vega.home.arpa", path: "/opt/lyra/config" });
  assert.deepEqual(d.hosts.map((h: { name: string }) => h.name), fleet.hosts.map((h) => h.name));
  const mirror = d.hosts.find((h: { name: string }) => h.name === "mirror-1");
  assert.deepEqual(mirror, {
    name: "mirror-1",
    fqdn: "mirror-1.home.arpa",
    role: "mirror",
    mqttUser: "mirror-1",
    services: ["config-sync", "health-publisher", "lyra-client", "mqtt-client", "node-exporter", "stt-service", "timesync"],
  });
  assert.equal(d.topics.presence, "lyra/presence/<host>");
  assert.equal(json, fileAt(fragment(), "/opt/lyra/config/fleet.json").content, "deterministic");
  assert.ok(json.endsWith("}\n"));
});

test("README.md gives the mirrors' exact rsync command and account, and warns against secrets", () => {
  const readme = fileAt(fragment(), "/opt/lyra/config/README.md").content;
  assert.ok(readme.includes("rsync -a --delete lyra-sync@vega.home.arpa:/opt/lyra/config/ /opt/lyra/config/"));
  assert.ok(readme.includes('restrict,command="/usr/bin/rrsync -ro -absolute /opt/lyra/config"'));
  assert.match(readme, /Mirrors syncing from here: mirror-1, mirror-2\./);
  assert.match(readme, /Never put a secret here/);
  assert.match(readme, /set up by hand for now/, "honest about the account lyra-fleet does not create");
});

test("another path and another host are followed; no orchestrator gives null", () => {
  const fleet = homeFleet((raw) => {
    raw.hosts.vega.services = { "config-source": { enabled: false } };
    raw.hosts.lyra.services = { "config-source": { path: "/srv/lyra-config/" }, "lyra-orchestrator": { enabled: false } };
  });
  const f = fragmentOf(render, "config-source", fleet, "lyra");
  assert.deepEqual(f.files!.map((file) => file.path), ["/srv/lyra-config/README.md", "/srv/lyra-config/fleet.json"]);
  assert.ok(fileAt(f, "/srv/lyra-config/README.md").content.includes("rsync -a --delete lyra-sync@lyra.home.arpa:/srv/lyra-config/ /srv/lyra-config/"));
  const d = JSON.parse(fileAt(f, "/srv/lyra-config/fleet.json").content);
  assert.equal(d.orchestrator, null);
  assert.deepEqual(d.configSource, { host: "lyra.home.arpa", path: "/srv/lyra-config" });
});
