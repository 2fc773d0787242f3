/**
 * Time sync with chrony, pointed at the site's NTP servers. Mirrors (Raspberry Pis) have no
 * real-time clock, so a host with `serve: true` (Vega by default in the docs) can answer the LAN.
 */
import type { ServiceRenderer } from "../context";

// A server inside the home network may be polled often: after a power cut the hub's chrony comes
// up with the others, and the default back-off (up to 1024 s) would leave the mirrors unsynced for
// minutes. Public servers keep chrony's polite defaults.
const serverLine = (server: string, domain: string): string =>
  server === domain || server.endsWith(`.${domain}`) ? `server ${server} iburst minpoll 2 maxpoll 6` : `server ${server} iburst`;

const chronyConf = (servers: string[], domain: string, serve: boolean): string =>
  [
    "# Managed by lyra-fleet: edits are reverted by `pulumi up`.",
    ...servers.map((s) => serverLine(s, domain)),
    "driftfile /var/lib/chrony/chrony.drift",
    "makestep 1 3",
    "rtcsync",
    "keyfile /etc/chrony/chrony.keys",
    "logdir /var/log/chrony",
    ...(serve ? ["# Serve the LAN; keep answering from the local clock if upstream is gone.", "allow all", "local stratum 10"] : ["port 0"]),
    "",
  ].join("\n");

// In a container the clock belongs to the machine running it: Debian's unit would be skipped
// (ConditionCapability=CAP_SYS_TIME), so run chronyd with -x (sync and measure, never set the clock).
const containerDropIn = [
  "# Managed by lyra-fleet.",
  "[Unit]",
  "ConditionCapability=",
  "",
  "[Service]",
  "ExecStart=",
  "ExecStart=!/usr/sbin/chronyd $DAEMON_OPTS -x",
  "",
].join("\n");

export const render: ServiceRenderer<"timesync"> = ({ fleet, host, settings }) => ({
  packages: ["chrony"],
  files: [{ path: "/etc/chrony/chrony.conf", content: chronyConf(fleet.site.ntpServers, fleet.site.domain, settings.serve), mode: "0644", owner: "root", group: "root", restarts: ["chrony.service"] }],
  units: [
    {
      name: "chrony.service",
      content: null,
      dropIn: settings.containerized ? containerDropIn : undefined,
      enabled: true,
      active: true,
      longRunning: true,
      after: [],
    },
  ],
  ports: settings.serve ? [{ port: 123, protocol: "udp", service: "timesync" }] : [],
  checks: [
    { kind: "unit", name: `${host.name}: chrony.service active`, unit: "chrony.service" },
    { kind: "command", name: `${host.name}: clock synchronized`, command: "chronyc -n tracking | grep -q '^Leap status *: Normal'" },
  ],
  recovery: [{ service: "timesync", commands: ["chronyc tracking", "chronyc sources -v", "systemctl restart chrony"] }],
});
