/**
 * The rendered Node-RED service in real Node-RED (the npm devDependency, the version the stack pins)
 * against a real mosquitto: settings.js, flows.json and flows_cred.json as rendered (test secrets,
 * uiPort and the broker address rewritten to loopback), the credentials laid out as systemd's
 * LoadCredential= does (./harness.ts). The editor's logins and deploys: ./editor.test.ts.
 *
 * Proves: Node-RED starts the flows without errors and its MQTT node logs in as `nodered` (within
 * that user's ACL from the model); anonymous users get nothing; the watchdog publishes a mirror online
 * on its heartbeat and stale, retained, once staleAfterSeconds (5 here) pass without one. Also the
 * unit through systemd-analyze. Every wait has a deadline; every process started is killed by PID.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";

import { secretKeysIn } from "../../../../src/render/secrets";
import { noderedPaths, render } from "../../../../src/services/nodered/render";
import { fragmentOf, homeFleet, unitFile, unitValue } from "../../../render/fixtures";
import { mqttPasswordKey } from "../../../../src/services/mqtt-broker/secrets";
import { noderedAdminPasswordKey, noderedCredentialSecretKey } from "../../../../src/services/nodered/secrets";
import { NoderedLab, run } from "./harness";

const staleAfterSeconds = 5;
const fleet = homeFleet((raw) => {
  raw.hosts.lyra.services.nodered = { staleAfterSeconds };
  // The model refuses a heartbeat the stale window cannot see; this test publishes its own beats.
  for (const mirror of ["mirror-1", "mirror-2"])
    raw.hosts[mirror].services = { "mqtt-client": { heartbeatSeconds: 2 } };
});
const fragment = fragmentOf(render, "nodered", fleet, "lyra");
const unit = unitFile(fragment, "nodered.service");
// Awkward characters on purpose: settings.js and flows_cred.json must survive them.
const secrets: Record<string, string> = {
  [mqttPasswordKey("nodered")]: "nr T3st pw 'q' #1",
  [noderedCredentialSecretKey]: 'cs T3st "quoted" \\ secret',
  [noderedAdminPasswordKey]: 'adm T3st "pw" \\ #2',
  [mqttPasswordKey("mirror-1")]: "m1-T3st-pw",
  [mqttPasswordKey("monitor")]: "mon-T3st-pw",
};
const lab = new NoderedLab(fleet, secrets);
const { dir } = lab;

before(async () => {
  const execStart = unitValue(unit, "Service", "ExecStart").split(" ");
  assert.deepEqual(execStart, [
    "/usr/bin/node",
    "/opt/lyra/apps/node-red/4.1.8/node_modules/node-red/red.js",
    "--settings",
    noderedPaths.settings,
  ]);
  await lab.startBroker(["nodered", "mirror-1", "monitor"]);
  await lab.layOut(fragment);
  await lab.startNodered(false);
});

after(() => lab.close());

test("the rendered files hold tokens, never the test secrets", () => {
  for (const file of fragment.files!) {
    for (const value of Object.values(secrets))
      assert.ok(!file.content.includes(value), `${file.path} holds a secret value`);
  }
  const keys = [...new Set(fragment.files!.flatMap((f) => secretKeysIn(f.content)))].sort();
  assert.deepEqual(keys, [mqttPasswordKey("nodered"), noderedCredentialSecretKey, noderedAdminPasswordKey].sort());
});

test("Node-RED starts the flows without errors and logs in to the broker as nodered", { timeout: 60_000 }, async () => {
  await lab.flowsStarted();
  await lab.waitFor("the MQTT node's connection", 15, () =>
    lab.noderedLog.includes(`Connected to broker: nodered-lyra@mqtt://127.0.0.1:${lab.mqttPort}`),
  );
  assert.match(lab.brokerLog, /New client connected from 127\.0\.0\.1:\d+ as nodered-lyra \(.*u'nodered'\)/);
  assert.doesNotMatch(lab.noderedLog, /\[error\]/, lab.noderedLog);
  // Only the warning the design accepts: projects off. The fleet's credentials reach Node-RED
  // encrypted (fleet-storage.js), so "Encrypted credentials not found" is gone.
  const warnings = lab.noderedLog.split("\n").filter((l) => l.includes("[warn]"));
  assert.deepEqual(
    warnings.filter((w) => !/Projects disabled/.test(w)),
    [],
    lab.noderedLog,
  );
  // The credential secret came from CREDENTIALS_DIRECTORY: the flows' credentials decrypted and failed nothing.
  assert.doesNotMatch(lab.noderedLog, /Error loading credentials|Failed to decrypt/);
});

test(
  "anonymous users get nothing but the editor's page: flows are not shown, a deploy is refused",
  { timeout: 60_000 },
  async () => {
    await lab.flowsStarted();
    const read = await fetch(`${lab.base}/flows`, { signal: AbortSignal.timeout(5000) });
    assert.equal(read.status, 401);
    const deploy = await fetch(`${lab.base}/flows`, {
      method: "POST",
      headers: { "content-type": "application/json", "Node-RED-Deployment-Type": "full" },
      body: JSON.stringify([]),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(deploy.status, 401);
    assert.equal(
      (await fetch(`${lab.base}/`, { signal: AbortSignal.timeout(5000) })).status,
      200,
      "the HTTP health check's URL answers",
    );
  },
);

type Status = { at: number; topic: string; status: string; retain: boolean };

test(
  "the watchdog publishes a mirror online on its heartbeat, then stale after staleAfterSeconds of silence",
  { timeout: 60_000 },
  async () => {
    await lab.waitFor("the MQTT node's connection", 45, () =>
      lab.noderedLog.includes("Connected to broker: nodered-lyra@"),
    );
    const seen: Status[] = [];
    const monitor = await lab.connect("monitor");
    monitor.on("message", (topic, payload, packet) =>
      seen.push({ at: Date.now(), topic, status: JSON.parse(String(payload)).status, retain: packet.retain }),
    );
    await monitor.subscribeAsync("lyra/status/#", { qos: 1 });

    const mirror = await lab.connect("mirror-1");
    const started = Date.now();
    let lastBeat = 0;
    for (let i = 0; i < 3; i++) {
      await mirror.publishAsync("lyra/presence/mirror-1", JSON.stringify({ host: "mirror-1", beat: i }), { qos: 1 });
      lastBeat = Date.now();
      await sleep(1000);
    }
    const after = (from: number, topic: string, status: string) =>
      seen.find((s) => s.at >= from && s.topic === topic && s.status === status);
    await lab.waitFor("mirror-1 online", 5, () => after(started, "lyra/status/mirror-1", "online") !== undefined);

    // Silence from here: the stale status must come after the stale time, not before, and not much later.
    await lab.waitFor(
      "mirror-1 stale",
      staleAfterSeconds + 10,
      () => after(lastBeat, "lyra/status/mirror-1", "stale") !== undefined,
    );
    const stale = after(lastBeat, "lyra/status/mirror-1", "stale")!;
    const silentFor = (stale.at - lastBeat) / 1000;
    assert.ok(silentFor >= staleAfterSeconds - 0.5, `stale after only ${silentFor} s of silence`);
    assert.ok(silentFor <= staleAfterSeconds + 4, `stale only after ${silentFor} s of silence`);
    // mirror-2 is declared but never sent a heartbeat: it is stale too (live, or replayed as retained).
    assert.ok(
      seen.some((s) => s.topic === "lyra/status/mirror-2" && s.status === "stale"),
      JSON.stringify(seen),
    );

    // Retained: a UI connecting now learns mirror-1's state at once.
    const late = await lab.connect("monitor");
    const replay = new Promise<{ status: string; retain: boolean }>((resolve) =>
      late.on(
        "message",
        (topic, payload, packet) =>
          topic === "lyra/status/mirror-1" &&
          resolve({ status: JSON.parse(String(payload)).status, retain: packet.retain }),
      ),
    );
    await late.subscribeAsync("lyra/status/mirror-1", { qos: 1 });
    const replayed = await Promise.race([
      replay,
      sleep(5000).then(() => assert.fail("no retained status for mirror-1")),
    ]);
    assert.deepEqual(replayed, { status: "stale", retain: true });
  },
);

test("the unit passes systemd-analyze verify and scores at most 2.0", () => {
  const unitDir = join(dir, "units");
  mkdirSync(unitDir);
  const path = join(unitDir, "nodered.service");
  writeFileSync(path, unit);
  // The unit requires its data set's restore (the backup module's, checked in test/tools): a stand-in here.
  writeFileSync(join(unitDir, "lyra-restore-nodered.service"), "[Service]\nType=oneshot\nExecStart=/bin/true\n");
  const verify = run("systemd-analyze", ["verify", path]);
  assert.equal(verify.status, 0, verify.output);
  assert.equal(verify.output.trim(), "", verify.output);
  const security = run("systemd-analyze", ["security", "--offline=yes", path]);
  const score = /Overall exposure level for nodered\.service: ([\d.]+)/.exec(security.output);
  assert.ok(score, security.output);
  assert.ok(Number(score[1]) <= 2.0, `exposure ${score[1]}:\n${security.output}`);
  assert.ok(readFileSync(path, "utf8").includes("MemoryDenyWriteExecute=no"));
});
