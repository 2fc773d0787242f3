/** qdrant.service and its config: paths and ports from the model, state in StateDirectory=, /readyz. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { render } from "../../../src/services/qdrant/render";
import { fileAt, fragmentOf, homeFleet, unitFile, unitNamed, unitValue, type RawFleet } from "../../render/fixtures";

const configPath = "/etc/lyra/qdrant/config.yaml";
const qdrant = (change?: (raw: RawFleet) => void) => fragmentOf(render, "qdrant", homeFleet(change), "lyra");

test("the config carries the model's storage, snapshots and ports, and turns telemetry off", () => {
  const file = fileAt(qdrant(), configPath);
  assert.deepEqual(parse(file.content), {
    log_level: "INFO",
    storage: { storage_path: "/var/lib/qdrant/storage", snapshots_path: "/var/lib/qdrant/snapshots" },
    service: { host: "0.0.0.0", http_port: 6333, grpc_port: 6334 },
    telemetry_disabled: true,
  });
  assert.deepEqual([file.mode, file.owner, file.restarts], ["0644", "root", ["qdrant.service"]]);
});

test("changed ports and paths reach the config, the unit's state directories, ports and checks", () => {
  const fragment = qdrant((raw) => {
    raw.hosts.lyra.services.qdrant = {
      port: 7333,
      grpcPort: 7334,
      storagePath: "/var/lib/vectors/data",
      snapshotsPath: "/var/lib/vectors/snaps",
    };
  });
  const config = parse(fileAt(fragment, configPath).content);
  assert.deepEqual(config.service, { host: "0.0.0.0", http_port: 7333, grpc_port: 7334 });
  assert.equal(config.storage.storage_path, "/var/lib/vectors/data");
  const unit = unitFile(fragment, "qdrant.service");
  assert.equal(unitValue(unit, "Service", "StateDirectory"), "vectors/data vectors/snaps");
  assert.equal(unitValue(unit, "Service", "WorkingDirectory"), "/var/lib/vectors/data");
  assert.deepEqual(fragment.ports, [
    { port: 7333, protocol: "tcp", service: "qdrant" },
    { port: 7334, protocol: "tcp", service: "qdrant" },
  ]);
  assert.deepEqual(fragment.checks![2], {
    kind: "http",
    name: "lyra: qdrant /readyz",
    url: "http://lyra.home.arpa:7333/readyz",
    expectStatus: 200,
  });
  assert.ok(
    fragment.recovery![0].commands.includes(
      "curl -fsS --retry 10 --retry-delay 1 --retry-connrefused http://localhost:7333/readyz",
    ),
  );
});

test("storage outside /var/lib is refused with the setting's path (a dynamic user cannot own it)", () => {
  assert.throws(
    () => qdrant((raw) => (raw.hosts.lyra.services.qdrant = { storagePath: "/srv/qdrant" })),
    /test-stack\.yaml: .*\n {2}- hosts\.lyra\.services\.qdrant\.storagePath: expected a path under \/var\/lib\/ \(qdrant's StateDirectory=\)/,
  );
  assert.throws(
    () => qdrant((raw) => (raw.hosts.lyra.services.qdrant = { snapshotsPath: "/var/lib/../etc" })),
    /snapshotsPath/,
  );
});

test("the unit runs the release binary with the managed config, sandboxed, and names the pinned version", () => {
  const unit = unitNamed(qdrant(), "qdrant.service");
  const content = unit.content!;
  assert.equal(
    unitValue(content, "Service", "ExecStart"),
    `/opt/lyra/apps/qdrant/1.12.4/qdrant --config-path ${configPath} $QDRANT_RESTORE_ARGS`,
  );
  assert.equal(unitValue(content, "Service", "DynamicUser"), "yes");
  assert.equal(unitValue(content, "Service", "StateDirectory"), "qdrant/storage qdrant/snapshots");
  assert.equal(unitValue(content, "Service", "Restart"), "on-failure");
  assert.match(unitValue(content, "Unit", "Description"), /1\.12\.4/);
  assert.match(unitValue(content, "Unit", "Description"), /\/opt\/lyra\/apps\/qdrant\/1\.12\.4\/qdrant/);
  // Nothing relaxed: qdrant needs no devices, no W+X memory, no capabilities.
  assert.equal(unitValue(content, "Service", "PrivateDevices"), "yes");
  assert.equal(unitValue(content, "Service", "MemoryDenyWriteExecute"), "yes");
  assert.equal(unitValue(content, "Service", "CapabilityBoundingSet"), "");
  assert.deepEqual([unit.enabled, unit.active, unit.longRunning], [true, true, true]);
});

test("the release is its artifact: from the NAS share, else upstream at the pinned version, restarting qdrant", () => {
  const fragment = qdrant((raw) => {
    raw.versions.qdrant = "1.13.0";
    raw.artifacts.qdrant.sha256 = "d".repeat(64);
  });
  assert.deepEqual(fragment.artifacts, [
    {
      key: "qdrant",
      version: "1.13.0",
      sha256: "d".repeat(64),
      urls: [
        "http://nas.home.arpa:8081/qdrant/1.13.0/qdrant-x86_64-unknown-linux-gnu.tar.gz",
        "https://github.com/qdrant/qdrant/releases/download/v1.13.0/qdrant-x86_64-unknown-linux-gnu.tar.gz",
      ],
      installDir: "/opt/lyra/apps/qdrant/1.13.0",
      postInstall: "",
      restarts: ["qdrant.service"],
    },
  ]);
  const unit = unitFile(fragment, "qdrant.service");
  assert.equal(
    unitValue(unit, "Service", "ExecStart"),
    `/opt/lyra/apps/qdrant/1.13.0/qdrant --config-path ${configPath} $QDRANT_RESTORE_ARGS`,
  );
  assert.match(unitValue(unit, "Unit", "Description"), /Qdrant vector database 1\.13\.0 /);
  assert.deepEqual(fragment.checks![0], {
    kind: "command",
    name: "lyra: qdrant 1.13.0 installed",
    command: `grep -qx '${"d".repeat(64)} 1.13.0' /opt/lyra/apps/qdrant/1.13.0/.lyra-artifact`,
  });
  // Without an upstream the share is the only source.
  const shareOnly = qdrant((raw) => delete raw.artifacts.qdrant.upstream);
  assert.deepEqual(shareOnly.artifacts![0].urls, [
    "http://nas.home.arpa:8081/qdrant/1.12.4/qdrant-x86_64-unknown-linux-gnu.tar.gz",
  ]);
});

test("recovery follows the runbook and runs the installed release; no manual install is left in it", () => {
  const fragment = qdrant((raw) => (raw.versions.qdrant = "1.13.0"));
  const commands = fragment.recovery![0].commands;
  assert.deepEqual(commands, [
    "systemctl restart qdrant",
    "curl -fsS --retry 10 --retry-delay 1 --retry-connrefused http://localhost:6333/readyz",
    "journalctl -u qdrant -n 100",
    "/opt/lyra/apps/qdrant/1.13.0/qdrant --version",
  ]);
  assert.deepEqual(fragment.checks![1], { kind: "unit", name: "lyra: qdrant.service active", unit: "qdrant.service" });
});
