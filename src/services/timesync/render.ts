/**
 * Time sync with chrony, pointed at the site's NTP servers. Mirrors (Raspberry Pis) have no
 * real-time clock, so a host with `serve: true` (Vega by default in the docs) can answer the LAN.
 */
import type { ServiceRenderer } from "../../render/context";
import { dropInFile, hardened } from "../../render/systemd";
import type { TimesyncOptions } from "./options";

// A server inside the home network may be polled often: after a power cut the hub's chrony comes
// up with the others, and the default back-off (up to 1024 s) would leave the mirrors unsynced for
// minutes. Public servers keep chrony's polite defaults.
const serverLine = (server: string, domain: string): string =>
  server === domain || server.endsWith(`.${domain}`)
    ? `server ${server} iburst minpoll 2 maxpoll 6`
    : `server ${server} iburst`;

const chronyConf = (servers: string[], domain: string, serve: boolean): string =>
  [
    "# Managed by lyra-fleet: edits are reverted by `pulumi up`.",
    ...servers.map((s) => serverLine(s, domain)),
    "driftfile /var/lib/chrony/chrony.drift",
    "makestep 1 3",
    "rtcsync",
    "keyfile /etc/chrony/chrony.keys",
    "logdir /var/log/chrony",
    ...(serve
      ? ["# Serve the LAN; keep answering from the local clock if upstream is gone.", "allow all", "local stratum 10"]
      : ["port 0"]),
    "",
  ].join("\n");

/**
 * Debian's unit starts chronyd as root (`ExecStart=!`) to drop to _chrony itself, with most
 * capabilities kept. Here it starts as _chrony (`-U`: no root check) holding only the two
 * capabilities it uses: CAP_SYS_TIME to steer the clock (adjtimex, also for rtcsync) and
 * CAP_NET_BIND_SERVICE for the NTP port when serving and its command port 323. Its pid file,
 * socket, drift file and logs live in the Runtime/State/LogsDirectory systemd gives _chrony.
 *
 * In a container the clock belongs to the machine running it: Debian's unit would be skipped
 * (ConditionCapability=CAP_SYS_TIME), so chronyd runs with -x (sync and measure, never set the
 * clock) and without CAP_SYS_TIME.
 */
export function chronyDropIn(containerized: boolean): string {
  const capabilities = containerized ? "CAP_NET_BIND_SERVICE" : "CAP_SYS_TIME CAP_NET_BIND_SERVICE";
  return dropInFile({
    ...(containerized ? { Unit: { ConditionCapability: "" } } : {}),
    Service: {
      ExecStart: ["", `/usr/sbin/chronyd $DAEMON_OPTS -U${containerized ? " -x" : ""}`],
      ...hardened({
        CapabilityBoundingSet: capabilities,
        AmbientCapabilities: capabilities,
        // Steering the clock is the job. In a container -x keeps chronyd off it, and CAP_SYS_TIME is
        // not granted, without also filtering the clock calls chronyd's own -F filter expects.
        ProtectClock: false,
        // adjtimex and clock_adjtime are @clock (reading the kernel's clock state too, with -x);
        // nothing else of @privileged is needed: no chown, no setuid, it starts as _chrony.
        SystemCallFilter: ["@system-service @clock", "~@chown @setuid @resources"],
        // Debian's unit allows the RTC and PPS devices for reference clocks; lyra-fleet uses none.
        DeviceAllow: "",
        // Debian's unit opens /run and /var/spool for reference clocks and mail; lyra-fleet uses neither.
        ReadWritePaths: "",
        // Debian's unit sets NoNewPrivileges=no for mailonchange's sendmail; not used here.
        NoNewPrivileges: true,
      }),
    },
  });
}

export const render: ServiceRenderer<TimesyncOptions> = ({ fleet, host, settings }) => ({
  packages: ["chrony"],
  files: [
    {
      path: "/etc/chrony/chrony.conf",
      content: chronyConf(fleet.site.ntpServers, fleet.site.domain, settings.serve),
      mode: "0644",
      owner: "root",
      group: "root",
      restarts: ["chrony.service"],
    },
  ],
  units: [
    {
      name: "chrony.service",
      content: null,
      dropIn: chronyDropIn(settings.containerized),
      enabled: true,
      active: true,
      longRunning: true,
      after: [],
    },
  ],
  ports: settings.serve ? [{ port: 123, protocol: "udp", service: "timesync" }] : [],
  checks: [
    { kind: "unit", name: `${host.name}: chrony.service active`, unit: "chrony.service" },
    {
      kind: "command",
      name: `${host.name}: clock synchronized`,
      command: "chronyc -n tracking | grep -q '^Leap status *: Normal'",
    },
  ],
  recovery: [{ service: "timesync", commands: ["chronyc tracking", "chronyc sources -v", "systemctl restart chrony"] }],
});
