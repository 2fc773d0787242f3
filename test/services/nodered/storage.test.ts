/**
 * fleet-storage.js, run in a VM over an in-memory stand-in for Node-RED's localfilesystem storage:
 * which nodes and credentials are the fleet's and which the user's, on load and on save. Real
 * Node-RED runs the same file in test/services/nodered/tools/editor.test.ts.
 */
import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { test } from "node:test";
import vm from "node:vm";
import { fleetStorageModule } from "../../../src/services/nodered/storage";

type Node = { id: string; type: string; z?: string; name?: string };
type Stored = Record<string, unknown>;

const secret = 'cs "x" \\ y';
const fleetFlows: Node[] = [
  { id: "lyra-watchdog-tab", type: "tab" },
  { id: "lyra-broker", type: "mqtt-broker" },
  { id: "lyra-heartbeat-watchdog", type: "function", z: "lyra-watchdog-tab", name: "stale after 60 s" },
];
const fleetCredentials = { "lyra-broker": { user: "nodered", password: "fleet-mqtt-pw" } };

// Node-RED's format (@node-red/runtime/lib/nodes/credentials.js): {"$": hex IV + base64 AES-256-CTR}.
const key = createHash("sha256").update(secret).digest();
function encrypt(creds: object): Stored {
  const iv = randomBytes(16);
  const c = createCipheriv("aes-256-ctr", key, iv);
  return { $: iv.toString("hex") + c.update(JSON.stringify(creds), "utf8", "base64") + c.final("base64") };
}
function decrypt(stored: Stored): Record<string, unknown> {
  const text = stored.$ as string;
  const d = createDecipheriv("aes-256-ctr", key, Buffer.from(text.slice(0, 32), "hex"));
  return JSON.parse(d.update(text.slice(32), "base64", "utf8") + d.final("utf8"));
}

/** The rendered module, with Node-RED's localfilesystem replaced by what `userDir` holds. */
async function storageOver(userDir: { flows: Node[]; credentials: Stored }) {
  const warnings: string[] = [];
  const saved: { flows: Node[][]; credentials: Stored[] } = { flows: [], credentials: [] };
  const local = {
    init: async () => {},
    getFlows: async () => structuredClone(userDir.flows),
    saveFlows: async (flows: Node[]) => void saved.flows.push(flows),
    getCredentials: async () => structuredClone(userDir.credentials),
    saveCredentials: async (c: Stored) => void saved.credentials.push(c),
  };
  const files: Record<string, string> = {
    "/etc/lyra/nodered/flows.json": JSON.stringify(fleetFlows),
    "/run/credentials/nodered.service/flows_cred.json": JSON.stringify(fleetCredentials),
  };
  const fakeRequire = Object.assign(
    (name: string) => {
      if (name === "node:crypto") return require("node:crypto");
      if (name === "node:fs") return { readFileSync: (path: string) => files[path] };
      throw new Error(`fleet-storage.js requires ${name}`);
    },
    {
      main: {
        require: (name: string) => {
          assert.equal(name, "@node-red/runtime/lib/storage/localfilesystem");
          return local;
        },
      },
    },
  );
  const module = { exports: {} as Record<string, (...args: unknown[]) => Promise<any>> };
  vm.runInNewContext(fleetStorageModule(), { module, exports: module.exports, require: fakeRequire, Buffer });
  const settings = {
    credentialSecret: secret,
    lyraFleet: {
      flowFile: "/etc/lyra/nodered/flows.json",
      credentialsFile: "/run/credentials/nodered.service/flows_cred.json",
    },
  };
  await module.exports.init(settings, { log: { warn: (m: string) => warnings.push(m) } });
  // Through JSON: objects made in the VM have another realm's prototypes.
  const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v));
  return { storage: module.exports, saved, warnings, plain };
}

const userTab: Node = { id: "a1", type: "tab" };
const userNode: Node = { id: "a2", type: "inject", z: "a1" };
const userBroker: Node = { id: "a3", type: "mqtt-broker" };

test("on load the fleet's nodes come from the stack, the user's nodes stay as stored", async () => {
  const { storage, plain } = await storageOver({
    flows: [
      userTab,
      { id: "lyra-watchdog-tab", type: "tab" },
      { id: "lyra-heartbeat-watchdog", type: "function", z: "lyra-watchdog-tab", name: "tampered" },
      { id: "b1", type: "debug", z: "lyra-watchdog-tab" },
      userNode,
      userBroker,
    ],
    credentials: encrypt({}),
  });
  assert.deepEqual(plain(await storage.getFlows()), [...fleetFlows, userTab, userNode, userBroker]);
});

test("on save the fleet's nodes, and nodes placed on its tab, are left out", async () => {
  const { storage, saved, plain } = await storageOver({ flows: [], credentials: encrypt({}) });
  await storage.saveFlows([...fleetFlows, { id: "b1", type: "debug", z: "lyra-watchdog-tab" }, userTab, userNode]);
  assert.deepEqual(plain(saved.flows), [[userTab, userNode]]);
});

test("credentials: the user's kept, the fleet's from the stack; the userDir never keeps the fleet's", async () => {
  const user = { a3: { user: "household", password: "user-pw" } };
  const stale = { "lyra-broker": { user: "nodered", password: "old-fleet-pw" } };
  const { storage, saved, warnings } = await storageOver({ flows: [], credentials: encrypt({ ...user, ...stale }) });
  const loaded = await storage.getCredentials();
  assert.deepEqual(Object.keys(loaded), ["$"], "handed to Node-RED encrypted");
  assert.deepEqual(decrypt(loaded), { ...user, ...fleetCredentials });
  // The stale fleet credential was in the userDir: rewritten at once without it, twice so that
  // Node-RED's backup of the replaced file does not keep it either.
  assert.equal(saved.credentials.length, 2);
  assert.deepEqual(saved.credentials.map(decrypt), [user, user]);
  await storage.saveCredentials(encrypt({ ...user, ...fleetCredentials }));
  assert.deepEqual(decrypt(saved.credentials[2]), user);
  assert.ok(!JSON.stringify(saved.credentials).includes("fleet-mqtt-pw"));
  assert.deepEqual(warnings, []);
});

test("credentials a userDir holds in plain text (the former copy of the fleet's) are rewritten encrypted", async () => {
  const { storage, saved } = await storageOver({ flows: [], credentials: { ...fleetCredentials } });
  assert.deepEqual(decrypt(await storage.getCredentials()), fleetCredentials);
  assert.deepEqual(saved.credentials.length, 2);
  for (const c of saved.credentials) assert.deepEqual([Object.keys(c), decrypt(c)], [["$"], {}]);
});

test("credentials encrypted with another secret: a warning, the watchdog's still load, the file is left alone", async () => {
  const other = createHash("sha256").update("another secret").digest();
  const iv = randomBytes(16);
  const c = createCipheriv("aes-256-ctr", other, iv);
  const foreign = { $: iv.toString("hex") + c.update('{"a3":{"password":"p"}}', "utf8", "base64") + c.final("base64") };
  const { storage, saved, warnings } = await storageOver({ flows: [], credentials: foreign });
  assert.deepEqual(decrypt(await storage.getCredentials()), fleetCredentials);
  assert.deepEqual(saved.credentials, []);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /cannot be decrypted with credentialSecret \(was nodered-credential-secret changed\?\)/);
});
