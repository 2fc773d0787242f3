/** mkdocs.service: serves the generated site on the model's port, sandboxed, with an HTTP check. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { planFleet } from "../../../src/render/index";
import { docsConfigPath, render } from "../../../src/services/mkdocs/render";
import { fragmentOf, homeFleet, unitFile, unitNamed, unitValue } from "../../render/fixtures";

test("mkdocs serves the docs renderer's mkdocs.yml on all addresses at the model's port", () => {
  const fleet = homeFleet((raw) => (raw.hosts.lyra.services.mkdocs = { port: 8088 }));
  const unit = unitFile(fragmentOf(render, "mkdocs", fleet, "lyra"), "mkdocs.service");
  assert.equal(
    unitValue(unit, "Service", "ExecStart"),
    "/usr/bin/mkdocs serve --dev-addr 0.0.0.0:8088 --config-file /opt/lyra/docs/mkdocs.yml",
  );
  // The docs renderer writes mkdocs.yml exactly where the unit reads it, and restarts the unit on change.
  const lyra = planFleet(fleet).find((p) => p.host === "lyra")!;
  const config = lyra.files.find((f) => f.path === docsConfigPath);
  assert.ok(config, `the docs host's plan has ${docsConfigPath}`);
  assert.deepEqual(config.restarts, ["mkdocs.service"]);
});

test("the unit keeps the whole baseline sandbox: the build goes to its private /tmp", () => {
  const unit = unitNamed(fragmentOf(render, "mkdocs", homeFleet(), "lyra"), "mkdocs.service");
  const content = unit.content!;
  for (const [key, value] of [
    ["DynamicUser", "yes"],
    ["PrivateTmp", "yes"],
    ["ProtectSystem", "strict"],
    ["PrivateDevices", "yes"],
    ["MemoryDenyWriteExecute", "yes"],
    ["Restart", "on-failure"],
  ]) {
    assert.equal(unitValue(content, "Service", key), value, key);
  }
  assert.deepEqual([unit.enabled, unit.active, unit.longRunning], [true, true, true]);
});

test("checks and recovery use the host running mkdocs and its port", () => {
  const fleet = homeFleet((raw) => {
    raw.hosts.lyra.services.mkdocs = { enabled: false };
    raw.hosts.vega.services = { mkdocs: { port: 8080 } };
  });
  const fragment = fragmentOf(render, "mkdocs", fleet, "vega");
  assert.deepEqual(fragment.checks, [
    { kind: "unit", name: "vega: mkdocs.service active", unit: "mkdocs.service" },
    { kind: "http", name: "vega: docs site", url: "http://vega.home.arpa:8080/", expectStatus: 200 },
  ]);
  assert.deepEqual(fragment.ports, [{ port: 8080, protocol: "tcp", service: "mkdocs" }]);
  assert.ok(fragment.packages!.includes("mkdocs"));
  const commands = fragment.recovery![0].commands;
  assert.equal(commands[0], "systemctl restart mkdocs");
  assert.match(commands[1], /http:\/\/localhost:8080\/$/);
  assert.ok(commands.includes("journalctl -u mkdocs -n 100"));
});

test("it declares the docs site where it serves it: the stack's docsUrl and record's target host come from this", () => {
  const fleet = homeFleet((raw) => (raw.hosts.lyra.services.mkdocs = { port: 8088 }));
  assert.deepEqual(fragmentOf(render, "mkdocs", fleet, "lyra").docsSite, [
    { service: "mkdocs", url: "http://lyra.home.arpa:8088/" },
  ]);
  const plans = planFleet(fleet);
  assert.deepEqual(
    plans.filter((p) => p.docsSite.length > 0).map((p) => p.host),
    ["lyra"],
  );
});
