/**
 * mkdocs.service: serves the fleet's generated runbook site (mkdocs.yml and pages under
 * /opt/lyra/docs, written by the docs renderer in src/render/docs) with Debian's mkdocs 1.4.
 *
 * `mkdocs serve` with its file watcher on, not a one-off build behind a static server: the record
 * command adds incident pages on the docs host between deployments, and the watcher rebuilds the
 * site when one appears, so nobody has to remember a restart. The build goes to a temporary
 * directory (the unit's private /tmp); the fleet's own page changes restart the unit anyway.
 * mkdocs logs a warning that 0.0.0.0 suggests production use: expected, the site is for the LAN.
 */
import type { ServiceRenderer } from "../../render/context";
import { docsRoot } from "../../render/docs/paths";
import { hardened, longRunningUnit, unitFile } from "../../render/systemd";
import { afterRestore } from "../backup/paths";
import type { MkdocsOptions } from "./options";
import { httpAnswers, unitActive } from "../../render/checks";
import { curlAfterRestart } from "../../render/docs/shell";

const unitName = "mkdocs.service";
/** Where the docs renderer writes mkdocs.yml. */
export const docsConfigPath = `${docsRoot}/mkdocs.yml`;

export const render: ServiceRenderer<MkdocsOptions> = ({ fleet, host, settings }) => {
  // On an empty host the incident records come back from the NAS before the site is served.
  const unitSection = afterRestore(fleet, host, ["mkdocs-incidents"], {
    Description: `Lyra fleet runbook site (mkdocs serve on :${settings.port})`,
    Wants: "network-online.target",
    After: "network-online.target",
  });
  const unit = unitFile({
    Unit: unitSection,
    Service: {
      Type: "simple",
      // Reads the site, writes only its build in /tmp: no state, no account to create.
      DynamicUser: true,
      // The search plugin's language support (nltk) insists on a home directory to look for data
      // in, and a dynamic user has none: give it an empty, private cache directory.
      CacheDirectory: "mkdocs",
      Environment: "HOME=/var/cache/mkdocs",
      ExecStart: `/usr/bin/mkdocs serve --dev-addr 0.0.0.0:${settings.port} --config-file ${docsConfigPath}`,
      Restart: "on-failure",
      RestartSec: "5s",
      ...hardened(),
    },
    Install: { WantedBy: "multi-user.target" },
  });
  return {
    packages: ["mkdocs", "curl"],
    units: [longRunningUnit(unitName, unit, unitSection)],
    ports: [{ port: settings.port, protocol: "tcp", service: "mkdocs" }],
    docsSite: [{ service: "mkdocs", url: `http://${host.fqdn}:${settings.port}/` }],
    checks: [unitActive(host, unitName), httpAnswers(host, "docs site", settings.port, "/")],
    recovery: [
      {
        service: "mkdocs",
        commands: [
          "systemctl restart mkdocs",
          `${curlAfterRestart} -o /dev/null -w '%{http_code}\\n' http://localhost:${settings.port}/`,
          "journalctl -u mkdocs -n 100",
          // A page that breaks the build shows here with its file name.
          `mkdocs build --strict --config-file ${docsConfigPath} --site-dir "$(mktemp -d)"`,
        ],
      },
    ],
  };
};
