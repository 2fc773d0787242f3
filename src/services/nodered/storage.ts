/**
 * fleet-storage.js: Node-RED's storage module (settings.js `storageModule`), which is Node-RED's own
 * localfilesystem storage with the fleet's nodes kept out of the user's data.
 *
 * Flows and credentials deployed from the editor live in the userDir (flows.json, flows_cred.json),
 * which is backed up and restored. The fleet's nodes (the watchdog tab, its broker, and any node
 * placed on that tab) are the stack's:
 * - getFlows / getCredentials (every start, and a "reload" deploy) replace whatever the userDir
 *   holds for them with the rendered flows.json and the credential systemd hands over, and keep
 *   every other node and credential as they are;
 * - saveFlows / saveCredentials leave them out, so the userDir holds only the editor's own flows
 *   (and never the fleet's MQTT password); a stale userDir that still holds them (an old backup,
 *   a hand edit, the former plain copy of the fleet's credentials) is rewritten without them,
 *   backup file included.
 * An editor edit of the watchdog therefore runs until the next start, and a changed watchdog in
 * the stack reaches Node-RED by the restart `pulumi up` makes when flows.json changes.
 *
 * Node-RED 4.1 asks a storage module for init, getFlows, saveFlows, getCredentials,
 * saveCredentials and, when present, settings, sessions and library entries
 * (@node-red/runtime/lib/storage/index.js); credentials reach storage encrypted as {"$": iv+data},
 * AES-256-CTR keyed by the SHA-256 of credentialSecret (@node-red/runtime/lib/nodes/credentials.js),
 * so this module decrypts and encrypts the same way.
 */

export function fleetStorageModule(): string {
  return `// Managed by lyra-fleet: edits are reverted by \`pulumi up\`.
// Node-RED's localfilesystem storage, with the fleet's nodes (the watchdog tab, its broker, any node
// on that tab) taken from the stack at every load and left out of what the editor saves.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
// Node-RED's own storage, from the install that runs this process (red.js is the main module).
const local = require.main.require("@node-red/runtime/lib/storage/localfilesystem");

let settings;
let log;

function readJson(file, what) {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new Error("lyra-fleet: cannot read " + what + " " + file + ": " + err.message);
    }
}

/** The fleet's nodes and credentials, read fresh: they change only with a restart, but cost little. */
function fleet() {
    const flows = readJson(settings.lyraFleet.flowFile, "the fleet's flows");
    const credentials = readJson(settings.lyraFleet.credentialsFile, "the fleet's credentials");
    const ids = new Set(flows.map((n) => n.id));
    const tabs = new Set(flows.filter((n) => n.type === "tab").map((n) => n.id));
    return { flows, credentials, ids, owns: (n) => ids.has(n.id) || tabs.has(n.z) };
}

const algorithm = "aes-256-ctr";
const key = () => crypto.createHash("sha256").update(settings.credentialSecret).digest();
const isEncrypted = (stored) => Object.keys(stored).length === 1 && typeof stored.$ === "string";

function decrypt(stored) {
    if (!isEncrypted(stored)) return stored;
    const iv = Buffer.from(stored.$.substring(0, 32), "hex");
    const decipher = crypto.createDecipheriv(algorithm, key(), iv);
    return JSON.parse(decipher.update(stored.$.substring(32), "base64", "utf8") + decipher.final("utf8"));
}

function encrypt(credentials) {
    const iv = crypto.randomBytes(16);
    const cipher = crypto.createCipheriv(algorithm, key(), iv);
    const data = cipher.update(JSON.stringify(credentials), "utf8", "base64") + cipher.final("base64");
    return { $: iv.toString("hex") + data };
}

/** The user's own credentials from what storage holds: everything but the fleet's nodes'. */
function usersCredentials(stored, ids) {
    let all;
    try {
        all = decrypt(stored);
    } catch (err) {
        // Node-RED would refuse them too; the fleet's own still load, so the watchdog runs.
        log.warn("lyra-fleet: the userDir's flows_cred.json cannot be decrypted with credentialSecret (was nodered-credential-secret changed?); the editor's credentials must be entered again");
        return { own: {}, hadFleet: false };
    }
    const own = {};
    let hadFleet = false;
    for (const id of Object.keys(all)) {
        if (ids.has(id)) hadFleet = true;
        else own[id] = all[id];
    }
    return { own, hadFleet };
}

module.exports = {
    init: async function (runtimeSettings, runtime) {
        settings = runtimeSettings;
        log = runtime.log;
        if (typeof settings.credentialSecret !== "string") throw new Error("lyra-fleet: fleet-storage.js needs settings.credentialSecret");
        if (!settings.lyraFleet) throw new Error("lyra-fleet: fleet-storage.js needs settings.lyraFleet");
        return local.init(runtimeSettings, runtime);
    },
    getFlows: async function () {
        const stored = await local.getFlows();
        const f = fleet();
        return [...f.flows, ...stored.filter((n) => !f.owns(n))];
    },
    saveFlows: async function (flows, user) {
        const f = fleet();
        return local.saveFlows(flows.filter((n) => !f.owns(n)), user);
    },
    getCredentials: async function () {
        const stored = await local.getCredentials();
        const f = fleet();
        const { own, hadFleet } = usersCredentials(stored, f.ids);
        // A userDir holding the fleet's credentials, or any in plain text, is rewritten at once, twice:
        // Node-RED keeps the file it replaces as .flows_cred.json.backup, which must not keep them either.
        if (hadFleet || (!isEncrypted(stored) && Object.keys(stored).length > 0)) {
            await local.saveCredentials(encrypt(own));
            await local.saveCredentials(encrypt(own));
        }
        return encrypt({ ...own, ...f.credentials });
    },
    saveCredentials: async function (credentials) {
        const { own } = usersCredentials(credentials, fleet().ids);
        return local.saveCredentials(encrypt(own));
    },
    getSettings: (...args) => local.getSettings(...args),
    saveSettings: (...args) => local.saveSettings(...args),
    getSessions: (...args) => local.getSessions(...args),
    saveSessions: (...args) => local.saveSessions(...args),
    getLibraryEntry: (...args) => local.getLibraryEntry(...args),
    saveLibraryEntry: (...args) => local.saveLibraryEntry(...args),
};
`;
}
