/**
 * Broker metrics for Prometheus without an extra exporter package: a timer runs a small script
 * that reads the broker's $SYS counters and the mirrors' live heartbeats with mosquitto_sub (as the
 * monitor user) and writes them, atomically, for prometheus-node-exporter's textfile collector.
 * Prometheus then gets them by scraping the broker host's node exporter (see ./prometheus.ts).
 */
import type { FleetModel } from "../../model/fleet";
import type { PlannedFile, PlannedUnit } from "../../render/plan";
import { hardened, retriedOnFailure, unitFile, unitsNamedIn } from "../../render/systemd";
import { brokerPaths, nativeUnitName } from "./mosquitto-config";
import { unitPrerequisite } from "../../render/prerequisites";
import { brokerOf } from "./placement";

export const metricsUnit = "mqtt-broker-metrics.service";
export const metricsTimer = "mqtt-broker-metrics.timer";
export const metricsScript = "/usr/local/lib/lyra/mqtt-broker-metrics";
/** prometheus-node-exporter's textfile directory (set by ./node-exporter.ts). */
export const textfileDir = "/var/lib/prometheus/node-exporter";
export const metricsFile = `${textfileDir}/mqtt_broker.prom`;
/** How often the script runs. */
export const metricsPeriodSeconds = 60;

/** Metric names the script writes; the alert rules use the same constants. */
export const brokerMetrics = {
  up: "mqtt_broker_up",
  uptime: "mqtt_broker_uptime_seconds",
  clientsConnected: "mqtt_broker_clients_connected",
  messagesReceived: "mqtt_broker_messages_received_total",
  messagesSent: "mqtt_broker_messages_sent_total",
  subscriptions: "mqtt_broker_subscriptions",
  heartbeatLastSeen: "lyra_heartbeat_last_seen_timestamp_seconds",
  writtenAt: "mqtt_broker_metrics_timestamp_seconds",
} as const;

/** The metrics need the node exporter's textfile collector on the broker host. */
export function brokerMetricsEnabled(fleet: FleetModel): boolean {
  return fleet.hosts.some((h) => h.name === brokerOf(fleet).host && h.services["node-exporter"]);
}

/** Hosts whose heartbeats (lyra/presence/<host>) are watched: the ones running mqtt-client. */
export function heartbeatHosts(fleet: FleetModel): { name: string; heartbeatSeconds: number }[] {
  return fleet.hosts.flatMap((h) =>
    h.services["mqtt-client"] ? [{ name: h.name, heartbeatSeconds: h.services["mqtt-client"].heartbeatSeconds }] : [],
  );
}

/** Seconds the script listens for live heartbeats: longer than the slowest mirror's interval. */
export function heartbeatWindowSeconds(fleet: FleetModel): number {
  return Math.max(0, ...heartbeatHosts(fleet).map((h) => h.heartbeatSeconds)) + 5;
}

const m = brokerMetrics;

// Plain POSIX sh + awk (Debian's mawk). Inputs come from the unit's environment so the script is
// the same for every fleet; the tool test runs it against a real broker.
const script = `#!/bin/sh
# Managed by lyra-fleet: edits are reverted by \`pulumi up\`.
# Writes the MQTT broker's metrics for prometheus-node-exporter's textfile collector: the broker's
# $SYS counters, and when each mirror's heartbeat (lyra/presence/<mirror>) was last seen live.
# mosquitto_sub reads host, port, user and password from $XDG_CONFIG_HOME/mosquitto_sub.
set -u
out=\${LYRA_METRICS_FILE:?}
window=\${LYRA_HEARTBEAT_WINDOW:?}
mirrors=\${LYRA_HEARTBEAT_MIRRORS-}
state=\${STATE_DIRECTORY:?}/heartbeats

# All five $SYS topics are retained: they arrive at once when the broker is up.
if sys=$(mosquitto_sub -v -C 5 -W 10 -t '$SYS/broker/uptime' -t '$SYS/broker/clients/connected' \\
    -t '$SYS/broker/messages/received' -t '$SYS/broker/messages/sent' -t '$SYS/broker/subscriptions/count'); then
  up=1
else
  up=0
  sys=
fi

if [ -n "$mirrors" ]; then
  # -R drops retained heartbeats: only a live one says the mirror is there now.
  # mosquitto_sub ends with status 27 when the window is over; that is the normal end.
  beats=$(mosquitto_sub -R -F '@s %t' -t 'lyra/presence/+' -W "$window" 2>/dev/null)
  printf '%s\\n' "$beats" | awk -v mirrors="$mirrors" -v statefile="$state" '
    BEGIN {
      n = split(mirrors, names, " ")
      for (i = 1; i <= n; i++) last[names[i]] = 0
      while ((getline line < statefile) > 0) {
        split(line, f, " ")
        if ((f[1] in last) && f[2] ~ /^[0-9]+$/) last[f[1]] = f[2]
      }
    }
    $1 ~ /^[0-9]+$/ && $2 ~ /^lyra\\/presence\\// {
      name = substr($2, 15)
      if ((name in last) && $1 + 0 > last[name] + 0) last[name] = $1
    }
    END { for (k in last) print k, last[k] }' | sort >"$state.new" && mv -f "$state.new" "$state"
fi

tmp="$out.$$"
{
  echo '# HELP ${m.up} 1 when the broker answered a $SYS query as the monitor user, else 0.'
  echo '# TYPE ${m.up} gauge'
  echo "${m.up} $up"
  printf '%s\\n' "$sys" | awk '
    function emit(name, type, help, value) {
      if (value !~ /^[0-9]+$/) return
      print "# HELP " name " " help; print "# TYPE " name " " type; print name " " value
    }
    $1 == "$SYS/broker/uptime" { emit("${m.uptime}", "gauge", "Seconds since the broker started.", $2) }
    $1 == "$SYS/broker/clients/connected" { emit("${m.clientsConnected}", "gauge", "Clients connected to the broker.", $2) }
    $1 == "$SYS/broker/messages/received" { emit("${m.messagesReceived}", "counter", "Messages the broker received since it started.", $2) }
    $1 == "$SYS/broker/messages/sent" { emit("${m.messagesSent}", "counter", "Messages the broker sent since it started.", $2) }
    $1 == "$SYS/broker/subscriptions/count" { emit("${m.subscriptions}", "gauge", "Active subscriptions.", $2) }'
  if [ -n "$mirrors" ] && [ -f "$state" ]; then
    echo '# HELP ${m.heartbeatLastSeen} When a live heartbeat of the mirror was last seen (0: never).'
    echo '# TYPE ${m.heartbeatLastSeen} gauge'
    awk '{ printf "${m.heartbeatLastSeen}{mirror=\\"%s\\"} %s\\n", $1, $2 }' "$state"
  fi
  echo '# HELP ${m.writtenAt} When this file was written.'
  echo '# TYPE ${m.writtenAt} gauge'
  echo "${m.writtenAt} $(date +%s)"
} >"$tmp"
# The node exporter runs as another user; the file holds no secret.
chmod 0644 "$tmp" && mv -f "$tmp" "$out"
`;

export function metricsFiles(): PlannedFile[] {
  return [{ path: metricsScript, content: script, mode: "0755", owner: "root", group: "root", restarts: [] }];
}

export function metricsUnits(fleet: FleetModel, brokerHost: string): PlannedUnit[] {
  const mode = brokerOf(fleet).mode;
  const window = heartbeatWindowSeconds(fleet);
  const mirrors = heartbeatHosts(fleet).map((h) => h.name);
  const serviceSection = {
    Description: "Broker metrics for Prometheus (mosquitto $SYS and mirror heartbeats, node exporter textfile)",
    After: mode === "native" ? nativeUnitName : "docker.service",
  };
  const service = unitFile({
    Unit: serviceSection,
    Service: {
      Type: "oneshot",
      ExecStart: metricsScript,
      // mosquitto_sub finds the monitor's options (and password) in the credentials directory.
      LoadCredential: `mosquitto_sub:${brokerPaths.monitorDir}/mosquitto_sub`,
      Environment: [
        "XDG_CONFIG_HOME=%d",
        `LYRA_METRICS_FILE=${metricsFile}`,
        `LYRA_HEARTBEAT_WINDOW=${window}`,
        `"LYRA_HEARTBEAT_MIRRORS=${mirrors.join(" ")}"`,
      ],
      StateDirectory: "lyra-mqtt-broker-metrics",
      TimeoutStartSec: window + 30,
      ...retriedOnFailure("5s"),
      ...hardened({
        // Runs as root without any capability: the textfile directory is root's (0755) and root
        // may write there as its owner; nothing else on the file system is writable.
        ReadWritePaths: textfileDir,
        // It only talks to the broker on this host.
        IPAddressAllow: "localhost",
        IPAddressDeny: "any",
      }),
    },
  });
  const timer = unitFile({
    Unit: { Description: "Collect the broker metrics every minute" },
    // First run as soon as the timer starts (boot, or the converge); the service is ordered after the broker.
    Timer: { OnActiveSec: "1s", OnUnitActiveSec: `${metricsPeriodSeconds}s`, AccuracySec: "5s" },
    Install: { WantedBy: "timers.target" },
  });
  const after = mode === "native" ? [unitPrerequisite(brokerHost, nativeUnitName)] : [];
  return [
    {
      name: metricsUnit,
      content: service,
      enabled: false,
      active: false,
      longRunning: false,
      startsAfter: unitsNamedIn(serviceSection),
      after,
    },
    { name: metricsTimer, content: timer, enabled: true, active: true, longRunning: false, after: [] },
  ];
}
