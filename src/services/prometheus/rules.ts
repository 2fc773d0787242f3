/**
 * The fleet's alerting rules for Prometheus: host down, broker down, broker metrics stale, mirror
 * heartbeat stale. Checked by `promtool check rules` and exercised by `promtool test rules`.
 */
import type { FleetModel } from "../../model/fleet";
import { brokerMetrics, brokerMetricsEnabled, heartbeatHosts, metricsPeriodSeconds } from "../mqtt-broker/metrics";

/** The runbook: heartbeats resume within 60 s of a recovery. */
export const runbookHeartbeatSeconds = 60;

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: "critical" | "warning" };
  annotations: { summary: string; description: string };
}

/**
 * Age (seconds) past which a mirror's heartbeat counts as stale. A healthy mirror's recorded
 * last-seen time can already be old by one collector period plus one heartbeat interval, and the
 * sample is up to one scrape interval old when a rule reads it; past that comes the runbook's 60 s.
 */
export function heartbeatStaleSeconds(fleet: FleetModel, scrapeIntervalSeconds: number): number {
  const slowest = Math.max(0, ...heartbeatHosts(fleet).map((h) => h.heartbeatSeconds));
  return metricsPeriodSeconds + slowest + scrapeIntervalSeconds + runbookHeartbeatSeconds;
}

export function alertRules(fleet: FleetModel, scrapeIntervalSeconds: number): AlertRule[] {
  const m = brokerMetrics;
  const rules: AlertRule[] = [
    {
      alert: "HostDown",
      expr: 'up{job="node"} == 0',
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: "{{ $labels.host }} is down",
        description: "The node exporter on {{ $labels.host }} ({{ $labels.role }}) has not answered for 2 minutes.",
      },
    },
  ];
  rules.push(...backupRules(fleet));
  if (!brokerMetricsEnabled(fleet)) return rules;
  rules.push(
    {
      alert: "MqttBrokerDown",
      expr: `${m.up} == 0`,
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: "The MQTT broker on {{ $labels.host }} does not answer",
        description:
          "The monitor user could not read $SYS from the broker for 2 minutes. Runbook: docker logs mqtt-broker / journalctl -u mqtt-broker.",
      },
    },
    {
      alert: "MqttBrokerMetricsStale",
      // Absent too: the collector never ran, or its file was removed.
      expr: `time() - ${m.writtenAt} > ${5 * metricsPeriodSeconds} or absent(${m.writtenAt})`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "The broker metrics are not being collected",
        description: `mqtt-broker-metrics.timer has not written mqtt_broker.prom for over ${(5 * metricsPeriodSeconds) / 60} minutes: systemctl status mqtt-broker-metrics.timer.`,
      },
    },
  );
  if (heartbeatHosts(fleet).length > 0) {
    const stale = heartbeatStaleSeconds(fleet, scrapeIntervalSeconds);
    rules.push({
      alert: "MirrorHeartbeatStale",
      expr: `time() - ${m.heartbeatLastSeen} > ${stale}`,
      for: "1m",
      labels: { severity: "warning" },
      annotations: {
        summary: "No heartbeat from {{ $labels.mirror }}",
        description: `No live heartbeat on lyra/presence/{{ $labels.mirror }} for more than ${stale} s (0 means never seen). Runbook: systemctl status mqtt-client on the mirror.`,
      },
    });
  }
  return rules;
}

/**
 * The backups' metrics, written by every host's backup and restore scripts into its node
 * exporter's textfile directory (src/services/backup/scripts.ts): stale past the stack's
 * maxAgeHours (0, no backup yet, counts as stale), or the last run failed.
 */
export function backupRules(fleet: FleetModel): AlertRule[] {
  if (!fleet.backup) return [];
  const maxAge = fleet.backup.maxAgeHours * 3600;
  return [
    {
      alert: "BackupStale",
      expr: `time() - lyra_backup_last_success_timestamp_seconds > ${maxAge}`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: `No good backup of {{ $labels.dataset }} on {{ $labels.host }} for over ${fleet.backup.maxAgeHours} h`,
        description: `The last good backup of {{ $labels.dataset }} on {{ $labels.host }} is older than ${fleet.backup.maxAgeHours} h (or there is none yet). Runbook: journalctl -u lyra-backup-{{ $labels.dataset }}; systemctl start lyra-backup-{{ $labels.dataset }}.`,
      },
    },
    {
      alert: "BackupFailed",
      expr: "lyra_backup_last_run_success == 0",
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "The last backup of {{ $labels.dataset }} on {{ $labels.host }} failed",
        description:
          "lyra-backup-{{ $labels.dataset }}.service failed on {{ $labels.host }}: is the NAS up? Runbook: journalctl -u lyra-backup-{{ $labels.dataset }}.",
      },
    },
  ];
}
