/**
 * nodered.service: Node-RED running the heartbeat watchdog (./nodered-flows.ts).
 *
 * Node-RED is not in Debian: its release artifact (`artifacts.node-red`, the tree `npm install
 * --omit=dev node-red@<version>` makes) is installed by the host into the release's versioned
 * directory and run from there by Debian's nodejs.
 *
 * Flows are the fleet's: flows.json is read from /etc/lyra/nodered, which the sandbox keeps
 * read-only, and the editor is read-only for everyone (adminAuth with no users and anonymous
 * `read`), so a change can only come from the stack and `pulumi up` never fights the editor. No
 * password hash is needed for that, and palette installs (code from npm) are off as well.
 *
 * Secrets never enter settings.js (JavaScript: a quote in a secret would break it). The credential
 * secret and flows_cred.json are systemd credentials; settings.js reads the secret from
 * $CREDENTIALS_DIRECTORY, and the unit copies flows_cred.json into the userDir, where Node-RED
 * looks for it (always <userDir>/<flows>_cred.json, whatever the flow file's directory).
 */
import type { ServiceRenderer } from "../../render/context";
import { secretToken } from "../../render/secrets";
import { hardened, unitFile, unitsNamedIn } from "../../render/systemd";
import { afterRestore } from "../backup/paths";
import { brokerAddress } from "../mqtt-broker/client-credentials";
import { watchdogCredentials, watchdogFlows } from "./flows";
import type { NoderedOptions } from "./options";
import { brokerPrerequisite } from "../mqtt-broker/prerequisite";
import { noderedCredentialSecretKey } from "./secrets";
import { httpAnswers, unitActive } from "../../render/checks";
import { artifactInstalled, plannedArtifact } from "../../render/artifacts";

const unitName = "nodered.service";
const configDir = "/etc/lyra/nodered";
export const noderedPaths = {
  settings: `${configDir}/settings.js`,
  flows: `${configDir}/flows.json`,
  credentials: `${configDir}/flows_cred.json`,
  credentialSecret: `${configDir}/credential-secret`,
  /** StateDirectory=nodered. */
  userDir: "/var/lib/nodered",
} as const;

/** Node-RED's entry point inside an installed release. */
export const noderedMainOf = (installDir: string): string => `${installDir}/node_modules/node-red/red.js`;

export function noderedSettings(port: number): string {
  const q = (s: string) => JSON.stringify(s);
  return `// Managed by lyra-fleet: edits are reverted by \`pulumi up\`.
// Node-RED settings. No secret is written here: the credential secret is read at start from the
// systemd credentials directory (LoadCredential= in ${unitName}).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

function credential(name) {
    const dir = process.env.CREDENTIALS_DIRECTORY;
    if (!dir) throw new Error("CREDENTIALS_DIRECTORY is not set: start Node-RED with systemctl start nodered");
    return fs.readFileSync(path.join(dir, name), "utf8");
}

module.exports = {
    uiHost: ${q("0.0.0.0")},
    uiPort: ${port},
    userDir: ${q(noderedPaths.userDir)},
    flowFile: ${q(noderedPaths.flows)},
    flowFilePretty: true,
    // Encrypts whatever credentials Node-RED itself writes, with a key the operator holds. The
    // fleet's flows_cred.json is plain JSON, so each start logs "Encrypted credentials not found".
    credentialSecret: credential("credential-secret"),
    // Anyone may look, nobody may change: the flows come from the stack.
    adminAuth: { type: "credentials", users: [], default: { permissions: "read" } },
    // The watchdog serves no HTTP endpoints of its own.
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

export const render: ServiceRenderer<NoderedOptions> = ({ fleet, host, settings }) => {
  const version = fleet.versions["node-red"];
  const artifact = plannedArtifact(fleet, "node-red", { restarts: [unitName] });
  const flowsCredential = "flows_cred.json";
  // On an empty host its userDir comes back from the NAS before it first starts.
  const unitSection = afterRestore(fleet, host, ["nodered"], {
    Description: `Node-RED ${version}: the mirrors' heartbeat watchdog`,
    Wants: "network-online.target",
    After: "network-online.target",
  });
  const unit = unitFile({
    Unit: unitSection,
    Service: {
      Type: "simple",
      DynamicUser: true,
      StateDirectory: "nodered",
      // npm and Node-RED look under HOME for caches and config: keep them in the state directory.
      Environment: `HOME=${noderedPaths.userDir}`,
      LoadCredential: [
        `credential-secret:${noderedPaths.credentialSecret}`,
        `${flowsCredential}:${noderedPaths.credentials}`,
      ],
      // Node-RED reads credentials only from <userDir>/flows_cred.json: copy the fleet's over on every start.
      ExecStartPre: `/usr/bin/install -m 0600 %d/${flowsCredential} ${noderedPaths.userDir}/${flowsCredential}`,
      ExecStart: `/usr/bin/node ${noderedMainOf(artifact.installDir)} --settings ${noderedPaths.settings}`,
      Restart: "on-failure",
      RestartSec: "5s",
      ...hardened({
        // V8 compiles JavaScript to machine code at run time (its JIT needs writable+executable pages).
        MemoryDenyWriteExecute: false,
      }),
    },
    Install: { WantedBy: "multi-user.target" },
  });

  const file = (path: string, content: string, mode: string) => ({
    path,
    content,
    mode,
    owner: "root",
    group: "root",
    restarts: [unitName],
  });
  return {
    // Node-RED itself is its artifact (an installed npm tree), so only the runtime is a package.
    packages: ["nodejs", "curl"],
    artifacts: [artifact],
    directories: [
      { path: "/etc/lyra", mode: "0755", owner: "root", group: "root" },
      // Readable by the service's dynamic user: settings.js and flows.json are read in place.
      { path: configDir, mode: "0755", owner: "root", group: "root" },
    ],
    files: [
      file(noderedPaths.settings, noderedSettings(settings.port), "0644"),
      file(noderedPaths.flows, JSON.stringify(watchdogFlows(fleet, settings, host.name), null, 4) + "\n", "0644"),
      file(noderedPaths.credentials, JSON.stringify(watchdogCredentials(), null, 4) + "\n", "0600"),
      file(noderedPaths.credentialSecret, secretToken(noderedCredentialSecretKey), "0600"),
    ],
    units: [
      {
        name: unitName,
        content: unit,
        enabled: true,
        active: true,
        longRunning: true,
        startsAfter: unitsNamedIn(unitSection),
        after: [brokerPrerequisite(fleet)],
      },
    ],
    ports: [{ port: settings.port, protocol: "tcp", service: "nodered" }],
    checks: [
      artifactInstalled(host, artifact),
      unitActive(host, unitName),
      httpAnswers(host, "Node-RED editor", settings.port, "/"),
    ],
    recovery: [
      {
        service: "nodered",
        commands: [
          "systemctl restart nodered",
          `curl -sS -o /dev/null -w '%{http_code}\\n' http://localhost:${settings.port}/`,
          "journalctl -u nodered -n 100",
          // The release the unit runs (installed by `pulumi up` from the artifact share).
          `grep '"version"' ${artifact.installDir}/node_modules/node-red/package.json`,
          // The watchdog's view of the mirrors, as the verify command's user sees it.
          `mosquitto_sub -h ${brokerAddress(fleet).host} -p ${brokerAddress(fleet).port} -u monitor -P "$MQTT_MONITOR_PASSWORD" -t 'lyra/status/#' -v`,
        ],
      },
    ],
  };
};
