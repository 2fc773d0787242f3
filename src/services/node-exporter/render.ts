/** Host metrics for Prometheus: Debian's prometheus-node-exporter, with its textfile collector. */
import type { ServiceRenderer } from "../../render/context";
import { fqdnOf } from "../../render/context";
import { dropInFile, hardened } from "../../render/systemd";
import type { NodeExporterOptions } from "./options";
import { curlAfterRestart } from "../../render/docs/shell";

/** Where other renderers (the broker metrics, the backups) drop *.prom files for the textfile collector. */
export const textfileDirectory = "/var/lib/prometheus/node-exporter";

// Debian's unit reads ARGS from this file.
const defaults = (port: number) =>
  [
    "# Managed by lyra-fleet: edits are reverted by `pulumi up`.",
    `ARGS="--web.listen-address=:${port} --collector.textfile.directory=${textfileDirectory} --collector.systemd"`,
    "",
  ].join("\n");

/**
 * Debian's unit runs the exporter as `prometheus` with no sandbox at all. It only reads: /proc,
 * /sys, the textfile directory and, for --collector.systemd, the system bus.
 */
export const nodeExporterDropIn = (): string =>
  dropInFile({
    Service: hardened({
      // The host's metrics are what it exports: every process's /proc entries (PID 1's mounts for
      // the filesystem collector) and /proc's system files (meminfo, stat, diskstats, net/).
      ProtectProc: "default",
      ProcSubset: "all",
      // The filesystem collector statfs()es every mount point: /home must be the real one (read-only),
      // not the empty stand-in ProtectHome=yes mounts, or a separate /home reports wrong sizes.
      ProtectHome: "read-only",
      // Go's interface lookups and the netdev/netclass collectors use netlink; the system bus is a Unix socket.
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX AF_NETLINK",
    }),
  });

export const render: ServiceRenderer<NodeExporterOptions> = ({ fleet, host, settings }) => ({
  packages: ["prometheus-node-exporter"],
  directories: [{ path: textfileDirectory, mode: "0755", owner: "root", group: "root" }],
  files: [
    {
      path: "/etc/default/prometheus-node-exporter",
      content: defaults(settings.port),
      mode: "0644",
      owner: "root",
      group: "root",
      restarts: ["prometheus-node-exporter.service"],
    },
  ],
  units: [
    {
      name: "prometheus-node-exporter.service",
      content: null,
      dropIn: nodeExporterDropIn(),
      enabled: true,
      active: true,
      longRunning: true,
      after: [],
    },
  ],
  ports: [{ port: settings.port, protocol: "tcp", service: "node-exporter" }],
  checks: [
    {
      kind: "unit",
      name: `${host.name}: prometheus-node-exporter.service active`,
      unit: "prometheus-node-exporter.service",
    },
    {
      kind: "http",
      name: `${host.name}: node exporter metrics`,
      url: `http://${fqdnOf(fleet, host.name)}:${settings.port}/metrics`,
      expectStatus: 200,
    },
  ],
  recovery: [
    {
      service: "node-exporter",
      commands: [
        "systemctl restart prometheus-node-exporter",
        `${curlAfterRestart} http://localhost:${settings.port}/metrics | grep -m 5 '^node_'`,
      ],
    },
  ],
});
