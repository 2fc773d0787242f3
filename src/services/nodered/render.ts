/**
 * nodered.service: Node-RED running the heartbeat watchdog (./flows.ts) and whatever the household
 * deploys from its editor.
 *
 * Node-RED is not in Debian: its release artifact (`artifacts.node-red`, the tree `npm install
 * --omit=dev node-red@<version>` makes) is installed by the host into the release's versioned
 * directory and run from there by Debian's nodejs.
 *
 * Two kinds of flows: the fleet's watchdog, rendered from the stack into /etc/lyra/nodered (read-only
 * to the service), and the flows an admin deploys from the editor, which are data: they live in the
 * userDir (StateDirectory, the module's data set) and survive restarts. fleet-storage.js
 * (./storage.ts) keeps the two apart; settings.js (./settings.ts) lets one user, `admin`, in with
 * the stack secret `noderedAdminPassword`. Palette installs (code from npm) stay off.
 *
 * Secrets never enter settings.js (JavaScript: a quote in a secret would break it). The credential
 * secret, the admin password and the watchdog's flows_cred.json are systemd credentials, read from
 * $CREDENTIALS_DIRECTORY by settings.js and fleet-storage.js.
 */
import type { FleetModel, Host } from "../../model/fleet";
import type { ServiceRenderer } from "../../render/context";
import { secretToken } from "../../render/secrets";
import { hardened, longRunningUnit, unitFile } from "../../render/systemd";
import { afterRestore } from "../backup/paths";
import { statusWatch, watchesFromOperator } from "../mqtt-broker/watch-commands";
import { stackName } from "../../render/docs/facts";
import { watchdogCredentials, watchdogFlows } from "./flows";
import type { NoderedOptions } from "./options";
import { brokerPrerequisite } from "../mqtt-broker/prerequisite";
import { noderedAdminPasswordKey, noderedCredentialSecretKey } from "./secrets";
import { noderedAdminUser, noderedCredentials, noderedSettings } from "./settings";
import { fleetStorageModule } from "./storage";
import { httpAnswers, unitActive } from "../../render/checks";
import { artifactInstalled, plannedArtifact } from "../../render/artifacts";
import { curlAfterRestart } from "../../render/docs/shell";

const unitName = "nodered.service";
const configDir = "/etc/lyra/nodered";
/** Beside settings.js, which requires it by this name. */
const storageFileName = "fleet-storage.js";
export const noderedPaths = {
  settings: `${configDir}/settings.js`,
  flows: `${configDir}/flows.json`,
  credentials: `${configDir}/flows_cred.json`,
  credentialSecret: `${configDir}/credential-secret`,
  /** StateDirectory=nodered. */
  userDir: "/var/lib/nodered",
  adminPassword: `${configDir}/admin-password`,
  storage: `${configDir}/${storageFileName}`,
} as const;

/** Node-RED's entry point inside an installed release. */
export const noderedMainOf = (installDir: string): string => `${installDir}/node_modules/node-red/red.js`;

export const render: ServiceRenderer<NoderedOptions> = ({ fleet, host, settings }) => {
  const version = fleet.versions["node-red"];
  const artifact = plannedArtifact(fleet, host, "node-red", { restarts: [unitName] });
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
        `${noderedCredentials.credentialSecret}:${noderedPaths.credentialSecret}`,
        `${noderedCredentials.adminPassword}:${noderedPaths.adminPassword}`,
        `${noderedCredentials.fleetCredentials}:${noderedPaths.credentials}`,
      ],
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
      file(
        noderedPaths.settings,
        noderedSettings(settings.port, {
          fleetFlows: noderedPaths.flows,
          userDir: noderedPaths.userDir,
          storageFileName,
        }),
        "0644",
      ),
      file(noderedPaths.storage, fleetStorageModule(), "0644"),
      file(noderedPaths.flows, JSON.stringify(watchdogFlows(fleet, settings, host.name), null, 4) + "\n", "0644"),
      file(noderedPaths.credentials, JSON.stringify(watchdogCredentials(), null, 4) + "\n", "0600"),
      file(noderedPaths.credentialSecret, secretToken(noderedCredentialSecretKey), "0600"),
      file(noderedPaths.adminPassword, secretToken(noderedAdminPasswordKey), "0600"),
    ],
    units: [longRunningUnit(unitName, unit, unitSection, [brokerPrerequisite(fleet)])],
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
          `${curlAfterRestart} -o /dev/null -w '%{http_code}\\n' http://localhost:${settings.port}/`,
          "journalctl -u nodered -n 100",
          // The release the unit runs (installed by `pulumi up` from the artifact share).
          `grep '"version"' ${artifact.installDir}/node_modules/node-red/package.json`,
        ],
        operatorCommands: [
          // The watchdog's view of the mirrors, as the verify command's user sees it.
          ...watchesFromOperator(fleet, statusWatch(fleet)),
          ...editorCommands(fleet, host, settings.port),
        ],
      },
    ],
  };
};

/**
 * How to reach the editor: the address, the user, and where the password comes from (the stack,
 * on the operator's machine), then the admin API's login as a check that the password works.
 */
function editorCommands(fleet: FleetModel, host: Host, port: number): string[] {
  const password = `"$(pulumi config get --stack ${stackName(fleet)} ${noderedAdminPasswordKey})"`;
  return [
    `# The editor: http://${host.fqdn}:${port}/ (user ${noderedAdminUser}; password: the stack secret ${noderedAdminPasswordKey})`,
    "# the admin API's login with that password (fails unless it answers 200)",
    `curl -fsS -o /dev/null -w '%{http_code}\\n' http://${host.address}:${port}/auth/token --data-urlencode client_id=node-red-admin --data-urlencode grant_type=password --data-urlencode scope='*' --data-urlencode username=${noderedAdminUser} --data-urlencode password=${password}`,
  ];
}
