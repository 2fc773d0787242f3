/**
 * The editor in real Node-RED on the rendered settings.js, fleet-storage.js and flows (./harness.ts):
 * an admin logs in through the admin API with the stack's password (a wrong one is refused),
 * deploys a flow of the household's own, and it is still there and running after a restart, with
 * its credentials; the watchdog tab is the stack's at every start (an editor edit, a stale copy in
 * the userDir, a changed stack); no password reaches a file Node-RED writes or its log.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { MqttClient } from "mqtt";

import { render } from "../../../../src/services/nodered/render";
import { watchdogIds } from "../../../../src/services/nodered/flows";
import { fragmentOf, homeFleet } from "../../../render/fixtures";
import { mqttPasswordKey } from "../../../../src/services/mqtt-broker/secrets";
import { noderedAdminPasswordKey, noderedCredentialSecretKey } from "../../../../src/services/nodered/secrets";
import { NoderedLab } from "./harness";

type FlowNode = Record<string, unknown> & { id: string; type: string; z?: string };

const fleetFor = (staleAfterSeconds: number) =>
  homeFleet((raw) => {
    raw.hosts.lyra.services.nodered = { staleAfterSeconds };
    for (const mirror of ["mirror-1", "mirror-2"])
      raw.hosts[mirror].services = { "mqtt-client": { heartbeatSeconds: 2 } };
  });
const fleet = fleetFor(30);
// Awkward characters on purpose: settings.js and fleet-storage.js must survive them.
const adminPassword = `adm T3st "pw" \\ 'x' #2`;
const userCredentialPassword = "household-cred-T3st-pw";
const secrets: Record<string, string> = {
  [mqttPasswordKey("nodered")]: "nr T3st pw 'q' #1",
  [noderedCredentialSecretKey]: 'cs T3st "quoted" \\ secret',
  [noderedAdminPasswordKey]: adminPassword,
  [mqttPasswordKey("monitor")]: "mon-T3st-pw",
};
const lab = new NoderedLab(fleet, secrets);
const timeout = (ms = 5000) => AbortSignal.timeout(ms);

// The household's own flow: once at start, publish to the fleet's broker through the watchdog's broker
// node (a user flow may use it), and a config node with credentials of its own. Node-RED names the
// tab (POST /flow) and puts the nodes on it.
let userTab = "";
const userFlow = {
  label: "Household",
  nodes: [
    {
      id: "household-hello",
      type: "inject",
      name: "hello at start",
      props: [{ p: "payload" }, { p: "topic", vt: "str" }],
      payload: "household flow running",
      payloadType: "str",
      topic: "lyra/status/household",
      repeat: "",
      once: true,
      onceDelay: "1",
      x: 150,
      y: 60,
      wires: [["household-out"]],
    },
    {
      id: "household-out",
      type: "mqtt out",
      name: "",
      topic: "",
      qos: "1",
      retain: "false",
      broker: watchdogIds.broker,
      x: 400,
      y: 60,
      wires: [],
    },
  ],
  configs: [
    {
      id: "household-broker",
      type: "mqtt-broker",
      name: "the household's own broker",
      broker: "127.0.0.1",
      port: "1",
      autoConnect: false,
      credentials: { user: "household", password: userCredentialPassword },
    },
  ],
};

async function login(username: string, password: string): Promise<Response> {
  return fetch(`${lab.base}/auth/token`, {
    method: "POST",
    body: new URLSearchParams({ client_id: "node-red-admin", grant_type: "password", scope: "*", username, password }),
    signal: timeout(),
  });
}

async function adminToken(): Promise<string> {
  const response = await login("admin", adminPassword);
  assert.equal(response.status, 200, await response.clone().text());
  const body = (await response.json()) as { access_token: string; token_type: string };
  assert.equal(body.token_type, "Bearer");
  return body.access_token;
}

async function api(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${lab.base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "Node-RED-Deployment-Type": "full",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: timeout(),
  });
}

async function runningFlows(): Promise<FlowNode[]> {
  const response = await api(await adminToken(), "GET", "/flows");
  assert.equal(response.status, 200);
  return (await response.json()) as FlowNode[];
}

/** The fleet's nodes as laid out for this run (the rendered flows.json, broker moved to loopback). */
const fleetNodes = (): FlowNode[] => JSON.parse(readFileSync(join(lab.paths.etc, "flows.json"), "utf8"));
const byId = (flows: FlowNode[], id: string) => flows.find((n) => n.id === id);

/** The watchdog in the running flows is exactly the fleet's: every node of it, nothing more on its tab. */
function assertWatchdogIsTheFleets(flows: FlowNode[]): void {
  const fleetIds = new Set(fleetNodes().map((n) => n.id));
  assert.deepEqual(
    flows.filter((n) => fleetIds.has(n.id) || n.z === watchdogIds.tab),
    fleetNodes(),
  );
}

function assertUserFlowIsThere(flows: FlowNode[]): void {
  assert.equal(byId(flows, userTab)?.label, "Household");
  for (const node of userFlow.nodes) assert.deepEqual(byId(flows, node.id), { ...node, z: userTab });
  const { credentials: _credentials, ...config } = userFlow.configs[0];
  assert.deepEqual(byId(flows, config.id), { ...config, z: userTab }, "a config node of the flow (POST /flow)");
}

const userDirFile = (name: string) => join(lab.paths.userDir, name);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const householdMessages: string[] = [];
let monitor: MqttClient;

before(async () => {
  await lab.startBroker(["nodered", "monitor"]);
  monitor = await lab.connect("monitor");
  monitor.on(
    "message",
    (topic, payload) => topic === "lyra/status/household" && householdMessages.push(String(payload)),
  );
  await monitor.subscribeAsync("lyra/status/household", { qos: 1 });
  await lab.layOut(fragmentOf(render, "nodered", fleet, "lyra"));
  await lab.startNodered();
});

after(() => lab.close());

test(
  "the admin logs in with the stack's password; a wrong password or user is refused",
  { timeout: 60_000 },
  async () => {
    // Node-RED's OAuth token endpoint answers a refused grant with 403, a login without a password with 400.
    for (const [user, password, status] of [
      ["admin", adminPassword + "x", 403],
      ["admin", adminPassword.slice(0, -1), 403],
      ["admin", "", 400],
      ["Admin", adminPassword, 403],
      ["nodered", secrets[mqttPasswordKey("nodered")], 403],
    ] as const) {
      const refused = await login(user, password);
      assert.equal(refused.status, status, `${user}: ${refused.status}`);
      assert.ok(!("access_token" in ((await refused.json().catch(() => ({}))) as object)));
    }
    assert.equal((await api("not-a-token", "GET", "/flows")).status, 401);
    const token = await adminToken();
    const flows = await api(token, "GET", "/flows");
    assert.equal(flows.status, 200);
    assertWatchdogIsTheFleets((await flows.json()) as FlowNode[]);
  },
);

test(
  "a flow deployed through the admin API survives a restart, with its credentials, and runs again",
  { timeout: 90_000 },
  async () => {
    const deployed = await api(await adminToken(), "POST", "/flow", userFlow);
    assert.equal(deployed.status, 200, await deployed.clone().text());
    userTab = ((await deployed.json()) as { id: string }).id;
    assert.match(userTab, /^[0-9a-f]{16}$/);
    await lab.waitFor("the household flow's message", 15, () => householdMessages.length === 1);

    // In the userDir: the user's nodes only; credentials encrypted, without the fleet's.
    const stored = JSON.parse(readFileSync(userDirFile("flows.json"), "utf8")) as FlowNode[];
    assert.deepEqual(
      stored.map((n) => n.id).sort(),
      [userTab, "household-hello", "household-out", "household-broker"].sort(),
    );
    const storedCredentials = JSON.parse(readFileSync(userDirFile("flows_cred.json"), "utf8"));
    assert.deepEqual(Object.keys(storedCredentials), ["$"], "encrypted with the credential secret");

    await lab.restartNodered();
    const flows = await runningFlows();
    assertUserFlowIsThere(flows);
    assertWatchdogIsTheFleets(flows);
    const credentials = await api(await adminToken(), "GET", "/credentials/mqtt-broker/household-broker");
    assert.equal(credentials.status, 200);
    assert.deepEqual(await credentials.json(), { user: "household", has_password: true });
    await lab.waitFor("the household flow's message after the restart", 15, () => householdMessages.length === 2);
    // The watchdog still logs in with the fleet's credentials.
    await lab.waitFor("the watchdog's broker connection", 15, () =>
      lab.currentLog.includes("Connected to broker: nodered-lyra@"),
    );
  },
);

test(
  "an editor edit of the watchdog runs until the next start; then the stack's is back and the user's flow stays",
  { timeout: 90_000 },
  async () => {
    const flows = await runningFlows();
    const tampered = flows
      .map((n) => (n.id === watchdogIds.watchdog ? { ...n, name: "tampered in the editor" } : n))
      .concat([{ id: "added-on-watchdog", type: "debug", z: watchdogIds.tab, name: "added", wires: [] }]);
    const deploy = await api(await adminToken(), "POST", "/flows", tampered);
    assert.equal(deploy.status, 204, await deploy.clone().text());
    const running = await runningFlows();
    assert.equal(byId(running, watchdogIds.watchdog)?.name, "tampered in the editor", "the edit runs");
    assert.ok(byId(running, "added-on-watchdog"));

    await lab.restartNodered();
    const restarted = await runningFlows();
    assertWatchdogIsTheFleets(restarted);
    assert.equal(byId(restarted, "added-on-watchdog"), undefined);
    assertUserFlowIsThere(restarted);
  },
);

test(
  "a watchdog in the userDir (an old backup, a hand edit) is replaced by the stack's at start",
  { timeout: 90_000 },
  async () => {
    await lab.stopNodered();
    const stored = JSON.parse(readFileSync(userDirFile("flows.json"), "utf8")) as FlowNode[];
    const stale = fleetNodes().map((n) =>
      n.id === watchdogIds.broker
        ? { ...n, port: "1" }
        : n.id === watchdogIds.watchdog
          ? { ...n, func: "return null;" }
          : n,
    );
    writeFileSync(userDirFile("flows.json"), JSON.stringify([...stale, ...stored], null, 4));
    await lab.startNodered();
    const flows = await runningFlows();
    assertWatchdogIsTheFleets(flows);
    assertUserFlowIsThere(flows);
  },
);

test(
  "a changed watchdog in the stack reaches Node-RED at its next start; the user's flow stays",
  { timeout: 90_000 },
  async () => {
    const before = await runningFlows();
    assert.equal(byId(before, watchdogIds.watchdog)?.name, "stale after 30 s");
    await lab.stopNodered();
    // What `pulumi up` does: write the re-rendered files, restart the unit once.
    await lab.layOut(fragmentOf(render, "nodered", fleetFor(45), "lyra"));
    await lab.startNodered();
    const flows = await runningFlows();
    assert.equal(byId(flows, watchdogIds.watchdog)?.name, "stale after 45 s");
    assertWatchdogIsTheFleets(flows);
    assertUserFlowIsThere(flows);
  },
);

test(
  "the plain copy of the fleet's credentials the read-only editor left in the userDir is rewritten encrypted, without them",
  { timeout: 90_000 },
  async () => {
    await lab.stopNodered();
    const plain = readFileSync(join(lab.paths.creds, "flows_cred.json"), "utf8");
    assert.ok(
      plain.includes(secrets[mqttPasswordKey("nodered")]),
      "the fleet's credentials, as the unit used to copy them",
    );
    writeFileSync(userDirFile("flows_cred.json"), plain, { mode: 0o600 });
    await lab.startNodered();
    const rewritten = readFileSync(userDirFile("flows_cred.json"), "utf8");
    assert.deepEqual(Object.keys(JSON.parse(rewritten)), ["$"]);
    assert.ok(!rewritten.includes(secrets[mqttPasswordKey("nodered")]));
    await lab.waitFor("the watchdog's broker connection", 15, () =>
      lab.currentLog.includes("Connected to broker: nodered-lyra@"),
    );
  },
);

test("no password is in a file under the userDir or the config dir, nor in Node-RED's log", () => {
  const files = [...filesUnder(lab.paths.userDir), ...filesUnder(lab.paths.etc)];
  assert.ok(files.includes(userDirFile("flows.json")) && files.includes(userDirFile("flows_cred.json")));
  const values = [
    adminPassword,
    secrets[noderedCredentialSecretKey],
    secrets[mqttPasswordKey("nodered")],
    userCredentialPassword,
  ];
  for (const file of files) {
    const content = readFileSync(file, "latin1");
    for (const value of values) assert.ok(!content.includes(value), `${file} holds a password`);
  }
  for (const value of values) assert.ok(!lab.noderedLog.includes(value), "Node-RED's log holds a password");
  assert.doesNotMatch(lab.noderedLog, /\[error\]/, lab.noderedLog);
});
