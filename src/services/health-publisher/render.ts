/**
 * The health publisher (`lyra-health.service` + `.timer`): every interval it publishes the state
 * of each long-running unit of this host as JSON to `lyra/health/<host>`, retained, so that
 * `mosquitto_sub -t 'lyra/health/#'` (the runbook's check) shows the whole fleet at once.
 *
 * It needs the host's other units, so plan assembly calls it with the host's plan so far.
 */
import type { FleetModel, Host } from "../../model/fleet";
import type { HostPlan, PlanFragment } from "../../render/plan";
import { hardened, retriedOnFailure, unitFile } from "../../render/systemd";
import { mosquittoCredentials } from "../mqtt-broker/client-credentials";
import type { HealthPublisherOptions } from "./options";
import { brokerPrerequisite } from "../mqtt-broker/prerequisite";

const script = `#!/bin/sh
# Managed by lyra-fleet. Usage: lyra-health.sh HOST UNIT...
# Publishes {"host","time","ok","units":{unit:state}} to lyra/health/HOST, retained.
set -u
host="$1"; shift
ok=true
units=""
for unit in "$@"; do
  # is-active prints the state and exits non-zero when it is not active: keep the state.
  state=$(systemctl is-active "$unit" 2>/dev/null || true)
  [ -n "$state" ] || state=unknown
  [ "$state" = active ] || ok=false
  units="$units\${units:+,}\\"$unit\\":\\"$state\\""
done
payload="{\\"host\\":\\"$host\\",\\"time\\":$(date +%s),\\"ok\\":$ok,\\"units\\":{$units}}"
# Broker, port and credentials come from $XDG_CONFIG_HOME/mosquitto_pub (a systemd credential).
exec /usr/bin/mosquitto_pub -t "lyra/health/$host" -r -q 1 -m "$payload"
`;

export const healthScriptPath = "/usr/local/lib/lyra/lyra-health.sh";

export function renderHealthPublisher(
  fleet: FleetModel,
  host: Host,
  settings: HealthPublisherOptions,
  plan: HostPlan,
): PlanFragment {
  const reported = plan.units.filter((u) => u.longRunning).map((u) => u.name);
  // Each run reads the credential afresh (oneshot), so a changed password needs no restart.
  const credentials = mosquittoCredentials(fleet, {
    user: host.name,
    directory: "/etc/lyra/health",
    clients: ["mosquitto_pub"],
    restarts: [],
  });
  const service = unitFile({
    Unit: {
      Description: `Publish ${host.name}'s unit states to lyra/health/${host.name}`,
      Wants: "network-online.target",
      After: "network-online.target",
    },
    Service: {
      Type: "oneshot",
      // A template, not Array.join: V8 (Node 20) joins a unit name that has served as an object key
      // (an internalized, "thin" string) into a two-byte string, and one two-byte string makes the
      // host's whole items text two-byte: lyra's 18 MB at 1000 mirrors took 37 MB of the program.
      ExecStart: reported.reduce((line, unit) => `${line} ${unit}`, `${healthScriptPath} ${host.name}`),
      // A report the broker did not take (it was restarting) is sent again 5 s later.
      ...retriedOnFailure("5s"),
      // mosquitto_pub reads its options from $XDG_CONFIG_HOME/mosquitto_pub: the credential.
      ...credentials.service,
      // Root without a single capability: a dynamic user would need D-Bus to ask systemd for unit
      // states, and on the lab's minimal Debian that fails ("Transport endpoint is not
      // connected"); root reads them from systemd's private socket, and the sandbox still denies
      // every capability, every write and every other file system view.
      ...hardened(),
    },
  });
  const timer = unitFile({
    Unit: { Description: `Publish ${host.name}'s health every ${settings.intervalSeconds} s` },
    // First run as soon as the timer starts (boot, or the converge): a fresh health report at once.
    Timer: { OnActiveSec: "1s", OnUnitActiveSec: `${settings.intervalSeconds}s`, AccuracySec: "1s" },
    Install: { WantedBy: "timers.target" },
  });
  return {
    packages: ["mosquitto-clients"],
    directories: [
      { path: "/etc/lyra", mode: "0755", owner: "root", group: "root" },
      { path: "/etc/lyra/health", mode: "0700", owner: "root", group: "root" },
      { path: "/usr/local/lib/lyra", mode: "0755", owner: "root", group: "root" },
    ],
    files: [
      { path: healthScriptPath, content: script, mode: "0755", owner: "root", group: "root", restarts: [] },
      ...credentials.files,
    ],
    units: [
      {
        name: "lyra-health.service",
        content: service,
        enabled: false,
        active: false,
        longRunning: false,
        after: [brokerPrerequisite(fleet)],
      },
      { name: "lyra-health.timer", content: timer, enabled: true, active: true, longRunning: false, after: [] },
    ],
    checks: [
      { kind: "unit", name: `${host.name}: lyra-health.timer active`, unit: "lyra-health.timer" },
      {
        kind: "mqtt-fresh",
        name: `${host.name}: health published`,
        topic: `lyra/health/${host.name}`,
        withinSeconds: settings.intervalSeconds * 2 + 15,
      },
    ],
    recovery: [
      {
        service: "health-publisher",
        // Run on this host, whose MQTT user may only publish its own health: Result=success means
        // the broker took the report (watching it arrive is on the broker's page, as the monitor).
        commands: [
          "systemctl start lyra-health.service",
          "systemctl show -p Result,ExecMainExitTimestamp lyra-health.service",
          "journalctl -u lyra-health.service -n 20",
        ],
      },
    ],
  };
}
