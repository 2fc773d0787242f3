/**
 * settings.js: how Node-RED runs. Two things in it are the fleet's own:
 *
 * - The editor and admin API have one user, `admin`, whose password is the stack secret
 *   `noderedAdminPassword`. It is never written here (JavaScript: a quote in it would break the
 *   file, and the file is world-readable): settings.js reads it at start from the systemd
 *   credentials directory, like the credential secret, and compares a login's password with it
 *   in constant time. Anonymous users get nothing: flows deployed from the editor are the
 *   household's data, and function code may hold what a LAN visitor should not read.
 * - Flows and credentials deployed from the editor live in the userDir (backed up), through
 *   fleet-storage.js (./storage.ts), which lays the fleet's watchdog over them at every start.
 */

/** The systemd credential names settings.js reads (LoadCredential= in nodered.service). */
export const noderedCredentials = {
  credentialSecret: "credential-secret",
  adminPassword: "admin-password",
  fleetCredentials: "flows_cred.json",
} as const;

/** The editor's one user. */
export const noderedAdminUser = "admin";

export interface NoderedSettingsFiles {
  /** The fleet's flows (the watchdog), rendered from the stack. */
  fleetFlows: string;
  userDir: string;
  /** fleet-storage.js; required by file name from beside settings.js. */
  storageFileName: string;
}

export function noderedSettings(port: number, files: NoderedSettingsFiles): string {
  const q = (s: string) => JSON.stringify(s);
  const c = noderedCredentials;
  return `// Managed by lyra-fleet: edits are reverted by \`pulumi up\`.
// Node-RED settings. No secret is written here: the credential secret and the admin password are
// read at start from the systemd credentials directory (LoadCredential= in nodered.service).
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

function credentialPath(name) {
    const dir = process.env.CREDENTIALS_DIRECTORY;
    if (!dir) throw new Error("CREDENTIALS_DIRECTORY is not set: start Node-RED with systemctl start nodered");
    return path.join(dir, name);
}
const credential = (name) => fs.readFileSync(credentialPath(name), "utf8");

// Passwords are compared as SHA-256 digests with timingSafeEqual: always 32 bytes each, so the time
// a comparison takes says nothing about how much of a guess was right. Only the digest is kept.
const sha256 = (text) => crypto.createHash("sha256").update(text, "utf8").digest();
const adminPassword = sha256(credential(${q(c.adminPassword)}));
const adminUser = ${q(noderedAdminUser)};
const admin = () => ({ username: adminUser, permissions: "*" });
function isAdminPassword(password) {
    return typeof password === "string" && password !== "" && crypto.timingSafeEqual(sha256(password), adminPassword);
}

module.exports = {
    uiHost: ${q("0.0.0.0")},
    uiPort: ${port},
    userDir: ${q(files.userDir)},
    // Relative to the userDir: flows.json and flows_cred.json there hold what the editor deployed.
    flowFile: "flows.json",
    flowFilePretty: true,
    // Encrypts the credentials Node-RED writes into the userDir, with a key the operator holds.
    credentialSecret: credential(${q(c.credentialSecret)}),
    // Node-RED's own storage, with the fleet's watchdog laid over it at every start.
    storageModule: require(${q(`./${files.storageFileName}`)}),
    lyraFleet: {
        flowFile: ${q(files.fleetFlows)},
        credentialsFile: credentialPath(${q(c.fleetCredentials)}),
    },
    // One user, admin, with the stack's password; no anonymous access at all.
    adminAuth: {
        type: "credentials",
        users: async (username) => (username === adminUser ? admin() : null),
        authenticate: async (username, password) =>
            username === adminUser && isAdminPassword(password) ? admin() : null,
    },
    // The fleet serves no HTTP endpoints from flows.
    httpNodeRoot: false,
    editorTheme: { projects: { enabled: false }, tours: false },
    externalModules: {
        autoInstall: false,
        palette: { allowInstall: false, allowUpdate: false, allowUpload: false },
        modules: { allowInstall: false },
    },
    functionExternalModules: false,
    runtimeState: { enabled: false, ui: false },
    diagnostics: { enabled: false, ui: false },
    telemetry: { enabled: false, updateNotification: false },
    logging: { console: { level: "info", metrics: false, audit: false } },
};
`;
}
