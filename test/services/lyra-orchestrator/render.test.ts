/** lyra-orchestrator.service: model-driven command and environment, qdrant ordering, GPU relaxations, MQTT credential. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveSecrets } from "../../../src/render/secrets";
import { environmentAssignment, render } from "../../../src/services/lyra-orchestrator/render";
import { fileAt, fragmentOf, homeFleet, unitFile, unitNamed, unitValue, unitValues } from "../../render/fixtures";

const unitName = "lyra-orchestrator.service";
const orchestrator = (change?: Parameters<typeof homeFleet>[0]) =>
  fragmentOf(render, "lyra-orchestrator", homeFleet(change), "lyra");
const unitOf = (change?: Parameters<typeof homeFleet>[0]) => unitFile(orchestrator(change), unitName);

const zeros = "0".repeat(64);

test("the unit runs the installed release's uvicorn as the model's user, in the release, with PORT and the version", () => {
  const unit = unitOf();
  assert.equal(
    unitValue(unit, "Service", "ExecStart"),
    "/opt/lyra/apps/lyra-orchestrator/1.4.2/venv/bin/uvicorn lyra.orchestrator:app --host 0.0.0.0 --port ${PORT}",
  );
  assert.equal(unitValue(unit, "Service", "User"), "lyra");
  assert.equal(unitValue(unit, "Service", "DynamicUser"), "yes");
  assert.equal(unitValue(unit, "Service", "WorkingDirectory"), "/opt/lyra/apps/lyra-orchestrator/1.4.2");
  assert.equal(unitValue(unit, "Service", "Restart"), "on-failure");
  const env = unitValues(unit, "Service", "Environment");
  for (const expected of [
    '"PORT=8000"',
    '"LYRA_ORCHESTRATOR_VERSION=1.4.2"',
    '"LYRA_LOG_LEVEL=info"',
    '"QDRANT_URL=http://localhost:6333"',
  ]) {
    assert.ok(env.includes(expected), `${expected} in ${env.join(" ")}`);
  }
  assert.equal(unitValue(unit, "Install", "WantedBy"), "multi-user.target");
});

test("the release is an artifact: a wheelhouse installed into a venv offline, restarting the unit", () => {
  const fragment = orchestrator();
  assert.deepEqual(fragment.artifacts, [
    {
      key: "lyra-orchestrator",
      version: "1.4.2",
      sha256: zeros,
      urls: ["http://nas.home.arpa:8081/lyra-orchestrator/1.4.2/lyra-orchestrator-wheels.tar.gz"],
      installDir: "/opt/lyra/apps/lyra-orchestrator/1.4.2",
      postInstall:
        "python3 -m venv venv && venv/bin/pip install --no-index --find-links wheels lyra-orchestrator==1.4.2",
      restarts: [unitName],
    },
  ]);
  assert.ok(fragment.packages!.includes("python3-venv"), "the venv module is Debian's python3-venv");
});

test("a pin change moves the unit to the new release (a new unit file: one restart); pinning back restores it", () => {
  const pinned = (version: string) =>
    orchestrator((raw) => {
      raw.versions["lyra-orchestrator"] = version;
      raw.artifacts["lyra-orchestrator"].sha256 = version === "1.5.0" ? "e".repeat(64) : zeros;
    });
  const before = pinned("1.4.2");
  const after = pinned("1.5.0");
  const unit = unitFile(after, unitName);
  assert.equal(
    unitValue(unit, "Service", "ExecStart"),
    "/opt/lyra/apps/lyra-orchestrator/1.5.0/venv/bin/uvicorn lyra.orchestrator:app --host 0.0.0.0 --port ${PORT}",
  );
  assert.equal(unitValue(unit, "Service", "WorkingDirectory"), "/opt/lyra/apps/lyra-orchestrator/1.5.0");
  assert.match(unitValue(unit, "Unit", "Description"), /Lyra orchestrator 1\.5\.0 /);
  assert.notEqual(unit, unitFile(before, unitName));
  assert.deepEqual(
    after.artifacts!.map((a) => [a.version, a.sha256, a.installDir]),
    [["1.5.0", "e".repeat(64), "/opt/lyra/apps/lyra-orchestrator/1.5.0"]],
  );
  assert.deepEqual(pinned("1.4.2"), before);
});

test("model settings flow through: user, directory, command, port and escaped environment values", () => {
  const unit = unitOf((raw) => {
    raw.hosts.lyra.services["lyra-orchestrator"] = {
      port: 8100,
      user: "orch",
      workingDirectory: "/srv/orchestrator",
      command: "/srv/orchestrator/run --port ${PORT}",
      environment: { GREETING: 'say "hi" 100% \\o/' },
    };
  });
  assert.equal(unitValue(unit, "Service", "User"), "orch");
  assert.equal(unitValue(unit, "Service", "WorkingDirectory"), "/srv/orchestrator");
  assert.equal(unitValue(unit, "Service", "ExecStart"), "/srv/orchestrator/run --port ${PORT}");
  const env = unitValues(unit, "Service", "Environment");
  assert.ok(env.includes('"PORT=8100"'));
  // systemd unquotes \" and \\ and reads %% as a literal %.
  assert.ok(env.includes('"GREETING=say \\"hi\\" 100%% \\\\o/"'), env.join("\n"));
  assert.equal(environmentAssignment("A", "%d"), '"A=%%d"');
});

test("the model cannot override variables the fleet sets, and the error names the setting", () => {
  assert.throws(
    () => unitOf((raw) => (raw.hosts.lyra.services["lyra-orchestrator"].environment.PORT = "9000")),
    /test-stack\.yaml: .*\n {2}- hosts\.lyra\.services\.lyra-orchestrator\.environment\.PORT: invalid name 'PORT': expected a variable lyra-fleet does not set itself \(PORT is set from the fleet; set `port` instead\)/,
  );
});

test("ordered after qdrant only when qdrant runs on the same host", () => {
  const here = orchestrator();
  assert.match(unitValue(unitFile(here, unitName), "Unit", "After"), /(^| )qdrant\.service( |$)/);
  assert.match(unitValue(unitFile(here, unitName), "Unit", "Wants"), /(^| )qdrant\.service( |$)/);
  assert.deepEqual(unitNamed(here, unitName).after, [
    { kind: "unit", label: "lyra/qdrant.service", host: "lyra", unit: "qdrant.service" },
    { kind: "container", label: "vega/broker", host: "vega", container: "mqtt-broker" },
  ]);

  const moved = orchestrator((raw) => {
    raw.hosts.lyra.services.qdrant = { enabled: false };
    raw.hosts.vega.services = { qdrant: {} };
  });
  const unit = unitNamed(moved, unitName);
  assert.doesNotMatch(unit.content!, /qdrant\.service/);
  assert.deepEqual(unit.after, [{ kind: "container", label: "vega/broker", host: "vega", container: "mqtt-broker" }]);
});

test("with the GPU, device isolation is relaxed for NVIDIA devices only; without it the baseline stays", () => {
  const gpu = unitOf();
  assert.equal(unitValue(gpu, "Service", "PrivateDevices"), "no");
  assert.equal(unitValue(gpu, "Service", "DevicePolicy"), "closed");
  assert.deepEqual(unitValues(gpu, "Service", "DeviceAllow"), ["char-nvidia* rw"]);
  assert.equal(unitValue(gpu, "Service", "MemoryDenyWriteExecute"), "no");
  assert.equal(unitValue(gpu, "Service", "ProcSubset"), "all");

  const cpuOnly = orchestrator((raw) => (raw.hosts.lyra.services["lyra-orchestrator"].gpu = false));
  const unit = unitFile(cpuOnly, unitName);
  assert.equal(unitValue(unit, "Service", "PrivateDevices"), "yes");
  assert.deepEqual(unitValues(unit, "Service", "DeviceAllow"), []);
  assert.equal(unitValue(unit, "Service", "MemoryDenyWriteExecute"), "yes");
  assert.equal(unitValue(unit, "Service", "ProcSubset"), "pid");
  assert.ok(!cpuOnly.checks!.some((c) => c.kind === "command" && c.command === "nvidia-smi"));
  assert.ok(!cpuOnly.recovery![0].commands.includes("nvidia-smi"));
  // The rest of the sandbox is the baseline either way.
  for (const u of [gpu, unit]) {
    assert.equal(unitValue(u, "Service", "ProtectSystem"), "strict");
    assert.equal(unitValue(u, "Service", "CapabilityBoundingSet"), "");
    assert.equal(unitValue(u, "Service", "NoNewPrivileges"), "yes");
  }
});

test("the orchestrator's MQTT password is a 0600 credential file, never in the unit", () => {
  const fragment = orchestrator();
  const unit = unitFile(fragment, unitName);
  const file = fileAt(fragment, "/etc/lyra/orchestrator/mqtt-password");
  assert.equal(file.mode, "0600");
  assert.equal(file.owner, "root");
  assert.deepEqual(file.restarts, [unitName]);
  assert.equal(resolveSecrets(file.content, { "mqtt-password-orchestrator": "orch pw 'x'" }), "orch pw 'x'");
  assert.equal(unitValue(unit, "Service", "LoadCredential"), "mqtt-password:/etc/lyra/orchestrator/mqtt-password");
  const env = unitValues(unit, "Service", "Environment");
  for (const expected of [
    '"LYRA_MQTT_HOST=vega.home.arpa"',
    '"LYRA_MQTT_PORT=1883"',
    '"LYRA_MQTT_USERNAME=orchestrator"',
    '"LYRA_MQTT_PASSWORD_FILE=%d/mqtt-password"',
  ]) {
    assert.ok(env.includes(expected), expected);
  }
  assert.doesNotMatch(unit, /@@secret/);
  assert.ok(fragment.directories!.some((d) => d.path === "/etc/lyra/orchestrator" && d.mode === "0700"));
});

test("health checks and the runbook's recovery commands follow the port and the host", () => {
  const fragment = orchestrator((raw) => (raw.hosts.lyra.services["lyra-orchestrator"].port = 8100));
  assert.deepEqual(fragment.checks, [
    {
      kind: "command",
      name: "lyra: lyra-orchestrator 1.4.2 installed",
      command: `grep -qx '${zeros} 1.4.2' /opt/lyra/apps/lyra-orchestrator/1.4.2/.lyra-artifact`,
    },
    { kind: "unit", name: "lyra: lyra-orchestrator.service active", unit: unitName },
    {
      kind: "http",
      name: "lyra: lyra-orchestrator /healthz",
      url: "http://lyra.home.arpa:8100/healthz",
      expectStatus: 200,
    },
    { kind: "command", name: "lyra: NVIDIA driver answers", command: "nvidia-smi" },
  ]);
  assert.deepEqual(fragment.recovery, [
    {
      service: "lyra-orchestrator",
      commands: [
        "systemctl restart lyra-orchestrator",
        "curl -fsS --retry 10 --retry-delay 1 --retry-connrefused http://localhost:8100/healthz",
        "journalctl -u lyra-orchestrator -n 100",
        "nvidia-smi",
      ],
    },
  ]);
  assert.deepEqual(fragment.ports, [{ port: 8100, protocol: "tcp", service: "lyra-orchestrator" }]);
  const unit = unitNamed(fragment, unitName);
  assert.deepEqual([unit.enabled, unit.active, unit.longRunning], [true, true, true]);
});

test("rendering is deterministic", () => {
  assert.deepEqual(orchestrator(), orchestrator());
});
