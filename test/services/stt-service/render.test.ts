/** stt-service.service: the mirror's speech-to-text app, as rendered. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { render, sttBinaryOf, sttEnvPath, sttUnit } from "../../../src/services/stt-service/render";
import {
  envEntries,
  fileAt,
  fragmentOf,
  hardeningDeviations,
  homeFleet,
  secretFiles,
  unitFile,
  unitNamed,
  unitValue,
} from "../../render/fixtures";
import { onMirror } from "../../render/mirror-fixtures";

const { fleet, fragment, unit } = onMirror(render, "stt-service", sttUnit);

test("settings: version from the fleet's versions, port from the model, 0644 and restarting the unit", () => {
  const file = fileAt(fragment, sttEnvPath);
  assert.deepEqual([file.mode, file.owner, file.restarts], ["0644", "root", [sttUnit]]);
  assert.deepEqual(envEntries(file.content), {
    STT_SERVICE_VERSION: "0.9.1",
    STT_SERVICE_HOST: "0.0.0.0",
    STT_SERVICE_PORT: "8200",
    STT_SERVICE_MODELS_DIR: "/var/lib/stt-service",
    STT_SERVICE_CACHE_DIR: "/var/cache/stt-service",
  });
  assert.deepEqual(secretFiles(fragment), []);
});

test("a new version or port changes the settings file, the port list and the health check", () => {
  const changed = fragmentOf(
    render,
    "stt-service",
    homeFleet((raw) => {
      raw.versions["stt-service"] = "1.0.0";
      raw.hosts["mirror-1"].services = { "stt-service": { port: 8250 } };
    }),
    "mirror-1",
  );
  const env = envEntries(fileAt(changed, sttEnvPath).content);
  assert.deepEqual([env.STT_SERVICE_VERSION, env.STT_SERVICE_PORT], ["1.0.0", "8250"]);
  assert.deepEqual(changed.ports, [{ port: 8250, protocol: "tcp", service: "stt-service" }]);
  assert.deepEqual(
    changed.checks!.filter((c) => c.kind === "http"),
    [
      {
        kind: "http",
        name: "mirror-1: stt-service health",
        url: "http://mirror-1.home.arpa:8250/health",
        expectStatus: 200,
      },
    ],
  );
  assert.match(unitValue(unitFile(changed, sttUnit), "Unit", "Description"), /stt-service 1\.0\.0\) on port 8250/);
  assert.equal(
    unitValue(unitFile(changed, sttUnit), "Service", "ExecStart"),
    "/opt/lyra/apps/stt-service/1.0.0/bin/stt-service",
  );
  assert.deepEqual(
    changed.artifacts!.map((a) => [a.key, a.version, a.installDir, a.restarts]),
    [["stt-service", "1.0.0", "/opt/lyra/apps/stt-service/1.0.0", [sttUnit]]],
  );
});

test("the release is an artifact from the NAS share, restarting the unit when installed", () => {
  assert.deepEqual(fragment.artifacts, [
    {
      key: "stt-service",
      version: "0.9.1",
      sha256: "0".repeat(64),
      urls: ["http://nas.home.arpa:8081/stt-service/0.9.1/stt-service-aarch64.tar.gz"],
      installDir: "/opt/lyra/apps/stt-service/0.9.1",
      postInstall: "",
      arch: "aarch64",
      restarts: [sttUnit],
    },
  ]);
});

test("the unit: the installed binary, its settings, its own state and cache directories, a transient user", () => {
  assert.equal(unitValue(unit, "Service", "ExecStart"), "/opt/lyra/apps/stt-service/0.9.1/bin/stt-service");
  assert.equal(sttBinaryOf("/opt/lyra/apps/stt-service/0.9.1"), "/opt/lyra/apps/stt-service/0.9.1/bin/stt-service");
  assert.equal(unitValue(unit, "Service", "EnvironmentFile"), sttEnvPath);
  assert.equal(unitValue(unit, "Service", "StateDirectory"), "stt-service");
  assert.equal(unitValue(unit, "Service", "CacheDirectory"), "stt-service");
  assert.equal(unitValue(unit, "Service", "DynamicUser"), "yes");
  assert.equal(unitValue(unit, "Service", "Restart"), "always");
  assert.deepEqual(hardeningDeviations(unit), {}, "nothing relaxed from the baseline");
  const planned = unitNamed(fragment, sttUnit);
  assert.deepEqual([planned.enabled, planned.active, planned.longRunning], [true, true, true]);
});

test("checks and recovery: the unit, GET /health over the LAN, restart", () => {
  assert.deepEqual(fragment.checks, [
    {
      kind: "command",
      name: "mirror-1: stt-service 0.9.1 installed",
      command: `grep -qx '${"0".repeat(64)} 0.9.1' /opt/lyra/apps/stt-service/0.9.1/.lyra-artifact`,
    },
    { kind: "unit", name: "mirror-1: stt-service.service active", unit: sttUnit },
    {
      kind: "http",
      name: "mirror-1: stt-service health",
      url: "http://mirror-1.home.arpa:8200/health",
      expectStatus: 200,
    },
  ]);
  assert.ok(fragment.recovery!.flatMap((r) => r.commands).includes("systemctl restart stt-service"));
});

test("another mirror gets its own health URL and the same unit; the same model renders the same fragment", () => {
  const other = fragmentOf(render, "stt-service", fleet, "mirror-2");
  assert.equal(other.checks![2].kind === "http" && other.checks![2].url, "http://mirror-2.home.arpa:8200/health");
  assert.equal(unitFile(other, sttUnit), unit);
  assert.deepEqual(fragmentOf(render, "stt-service", homeFleet(), "mirror-1"), fragment);
});
