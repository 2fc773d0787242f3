/**
 * mqtt-client.service: the mirror's presence. A small POSIX sh script keeps one MQTT connection
 * open, publishes a JSON heartbeat to lyra/presence/<mirror> every `heartbeatSeconds`, registers the
 * mirror on lyra/clients/online/<mirror> and leaves a last will there that marks it offline.
 *
 * Decisions:
 * - Heartbeats are NOT retained: presence means "a heartbeat arrived lately". A retained heartbeat
 *   would hand every new subscriber (the mirror UI, the 60 s freshness check) a message from a
 *   mirror that may have died hours ago.
 * - Heartbeats use QoS 1: each PUBACK proves the connection is alive, so the script notices a dead
 *   broker within two intervals even when TCP does not (power cut on vega, no RST).
 * - Registration and will ARE retained (QoS 1), each mirror on its own topic: a UI that connects
 *   later (`mosquitto_sub -t 'lyra/clients/online/#' -v`) learns every mirror's last state, and the
 *   broker's ACL lets a mirror's user publish there for itself only, so no mirror can register, or
 *   mark offline, another. A connected mirror repeats its registration every 30 s, so a retained
 *   registration that was lost (a broker restored from an older backup, an operator clearing it)
 *   is back within that time. Liveness is the heartbeat.
 * - The script exits whenever the connection is lost, refused or stalls; systemd restarts it after
 *   the runbook's reconnect interval and it registers again. mosquitto_pub alone would reconnect
 *   silently, never re-register (the broker publishes our will when it shuts down) and leave the
 *   unit "active" while the mirror is offline.
 */
import { presenceTopic, registrationTopic } from "../../model/topics";
import type { RenderContext, ServiceRenderer } from "../../render/context";
import type { PlannedFile, PlanFragment } from "../../render/plan";
import { hardened, unitFile } from "../../render/systemd";
import { brokerAddress, mosquittoCredentials } from "../mqtt-broker/client-credentials";
import type { MqttClientOptions } from "./options";
import { brokerPrerequisite } from "../mqtt-broker/prerequisite";
import { presenceWatch, registrationsWatch, watchesFromOperator } from "../mqtt-broker/watch-commands";

export const mqttClientUnit = "mqtt-client.service";
export const mqttClientScriptPath = "/usr/local/lib/lyra/mqtt-client.sh";
export const mqttClientConfigDir = "/etc/lyra/mqtt-client";
export const mqttClientEnvPath = `${mqttClientConfigDir}/mqtt-client.env`;
export { presenceTopic, registrationTopic, registrationTopics } from "../../model/topics";
/** How often a connected mirror repeats its retained registration (see the script). */
export const registrationRefreshSeconds = 30;
/** The script's registration period: REGISTRATION_SECONDS rounded down to whole heartbeats, at least one. */
export function registrationPeriodSeconds(heartbeatSeconds: number): number {
  return Math.max(1, Math.floor(registrationRefreshSeconds / heartbeatSeconds)) * heartbeatSeconds;
}
/** The runbook's reconnect interval, when the host runs no lyra-client to take it from. */
const defaultReconnectSeconds = 30;

/**
 * The script. Generic: every value comes from the environment (the unit's EnvironmentFile=), so the
 * tool test runs this exact text against a local broker by overriding MQTT_HOST and MQTT_PORT.
 * Written for dash. `\${` is a shell parameter expansion escaped from the template literal.
 */
export const mqttClientScript = `#!/bin/sh
# Managed by lyra-fleet: edits are reverted by \`pulumi up\`.
# mqtt-client: this mirror's heartbeat on $PRESENCE_TOPIC and its registration on
# $REGISTRATION_TOPIC, over one MQTT connection that carries a last will marking it offline.
# Exits when that connection is lost, refused or stalls: systemd restarts it (Restart=always).
#
# Environment: MQTT_CLIENT MQTT_HOST MQTT_PORT HEARTBEAT_SECONDS PRESENCE_TOPIC REGISTRATION_TOPIC
# REGISTRATION_SECONDS (EnvironmentFile=), RUNTIME_DIRECTORY (RuntimeDirectory=: two FIFOs live
# there) and XDG_CONFIG_HOME holding mosquitto_pub's options with the credentials (LoadCredential=).
set -eu
: "\${MQTT_CLIENT:?}" "\${MQTT_HOST:?}" "\${MQTT_PORT:?}" "\${HEARTBEAT_SECONDS:?}"
: "\${PRESENCE_TOPIC:?}" "\${REGISTRATION_TOPIC:?}" "\${REGISTRATION_SECONDS:?}"
: "\${RUNTIME_DIRECTORY:?}" "\${XDG_CONFIG_HOME:?}"

log() { printf 'mqtt-client: %s\\n' "$*" >&2; }
online=$(printf '{"client":"%s","online":true,"presence":"%s","heartbeatSeconds":%s}' "$MQTT_CLIENT" "$PRESENCE_TOPIC" "$HEARTBEAT_SECONDS")
offline=$(printf '{"client":"%s","online":false}' "$MQTT_CLIENT")

# session: mosquitto_pub's protocol events plus the heartbeat clock's ticks, read below.
# heartbeats: the lines mosquitto_pub publishes.
session="$RUNTIME_DIRECTORY/session"
heartbeats="$RUNTIME_DIRECTORY/heartbeats"
rm -f "$session" "$heartbeats"
mkfifo -m 0600 "$session" "$heartbeats"

pub_pid='' clock_pid=''
cleanup() {
  for pid in $clock_pid $pub_pid; do kill "$pid" 2>/dev/null || :; done
  rm -f "$session" "$heartbeats"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# -d prints the protocol events (CONNACK, PUBACK, a reconnect's CONNECT); stdbuf -oL hands them
# over line by line instead of in 4 KiB blocks. -V pins the protocol those lines come from.
/usr/bin/stdbuf -oL /usr/bin/mosquitto_pub -d -V mqttv311 -i "$MQTT_CLIENT-presence" \\
  -h "$MQTT_HOST" -p "$MQTT_PORT" -k 30 -q 1 -t "$PRESENCE_TOPIC" -l \\
  --will-topic "$REGISTRATION_TOPIC" --will-payload "$offline" --will-qos 1 --will-retain \\
  <"$heartbeats" >"$session" 2>&1 &
pub_pid=$!

# The heartbeat clock: a tick for the loop below, then a heartbeat line for mosquitto_pub.
# Its sleep runs in the background so that stopping the clock stops the sleep too.
(
  nap=''
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  seq=0
  while :; do
    seq=$((seq + 1))
    echo "tick $seq" >&3
    printf '{"client":"%s","online":true,"seq":%d,"time":%s,"heartbeatSeconds":%s}\\n' \\
      "$MQTT_CLIENT" "$seq" "$(date +%s)" "$HEARTBEAT_SECONDS"
    sleep "$HEARTBEAT_SECONDS" &
    nap=$!
    wait "$nap"
  done
) 3>"$session" >"$heartbeats" &
clock_pid=$!

# The registration is retained on this mirror's own topic, and repeated every
# REGISTRATION_SECONDS (rounded down to whole heartbeats): a retained registration that was lost
# (a broker restored from an older backup) is back within that time.
register_every=$((REGISTRATION_SECONDS / HEARTBEAT_SECONDS))
if [ "$register_every" -lt 1 ]; then register_every=1; fi
register() {
  since_registration=0
  if ! /usr/bin/timeout 20 /usr/bin/mosquitto_pub -V mqttv311 -i "$MQTT_CLIENT-register" \\
    -h "$MQTT_HOST" -p "$MQTT_PORT" -q 1 -r -t "$REGISTRATION_TOPIC" -m "$online"; then
    log "registration on $REGISTRATION_TOPIC failed"
    exit 1
  fi
}

connected=no
unacked=0
since_registration=0
while IFS= read -r line; do
  case $line in
    "tick "*)
      # The heartbeat handed over two ticks ago still has no PUBACK: the broker is gone.
      if [ "$unacked" -ge 2 ]; then
        log "no PUBACK from $MQTT_HOST:$MQTT_PORT for two heartbeat intervals: connection lost"
        exit 1
      fi
      unacked=$((unacked + 1))
      since_registration=$((since_registration + 1))
      if [ "$connected" = yes ] && [ "$since_registration" -ge "$register_every" ]; then register; fi ;;
    *" received PUBACK "*)
      if [ "$unacked" -gt 0 ]; then unacked=$((unacked - 1)); fi ;;
    *" received CONNACK (0)"*)
      connected=yes
      log "connected to $MQTT_HOST:$MQTT_PORT; registering on $REGISTRATION_TOPIC"
      register ;;
    *" received CONNACK "*)
      log "the broker refused the connection: $line"
      exit 1 ;;
    *" sending CONNECT"*)
      if [ "$connected" = yes ]; then
        log "connection to $MQTT_HOST:$MQTT_PORT lost; exiting so that systemd reconnects and registers again"
        exit 1
      fi ;;
    "Client "*) ;; # every PUBLISH and PINGREQ: not worth a journal line each
    *) log "mosquitto_pub: $line" ;;
  esac
done <"$session"
log "mosquitto_pub exited"
exit 1
`;

/** Settings for the script, one KEY=value per line (systemd EnvironmentFile= and sh agree on it). */
export function mqttClientEnvironment(ctx: RenderContext<MqttClientOptions>): Record<string, string> {
  const { host, port } = brokerAddress(ctx.fleet);
  return {
    MQTT_CLIENT: ctx.host.name,
    MQTT_HOST: host,
    MQTT_PORT: String(port),
    HEARTBEAT_SECONDS: String(ctx.settings.heartbeatSeconds),
    PRESENCE_TOPIC: presenceTopic(ctx.host.name),
    REGISTRATION_TOPIC: registrationTopic(ctx.host.name),
    REGISTRATION_SECONDS: String(registrationRefreshSeconds),
  };
}

function plainFile(path: string, content: string, mode: string): PlannedFile {
  return { path, content, mode, owner: "root", group: "root", restarts: [mqttClientUnit] };
}

export const render: ServiceRenderer<MqttClientOptions> = (ctx): PlanFragment => {
  const { fleet, host } = ctx;
  const reconnectSeconds = host.services["lyra-client"]?.reconnectSeconds ?? defaultReconnectSeconds;
  const credentials = mosquittoCredentials(fleet, {
    user: host.name,
    directory: mqttClientConfigDir,
    clients: ["mosquitto_pub"],
    restarts: [mqttClientUnit],
  });
  const env = Object.entries(mqttClientEnvironment(ctx))
    .map(([k, v]) => `${k}=${v}\n`)
    .join("");

  const unit = unitFile({
    Unit: {
      Description: `Lyra mirror presence: heartbeat on ${presenceTopic(host.name)}, registration on ${registrationTopic(host.name)}`,
      Wants: "network-online.target",
      After: "network-online.target",
      // Never give up: a broker outage of any length ends with the mirror back online.
      StartLimitIntervalSec: 0,
    },
    Service: {
      Type: "exec",
      ExecStart: `/bin/sh ${mqttClientScriptPath}`,
      EnvironmentFile: mqttClientEnvPath,
      Environment: credentials.service.Environment,
      LoadCredential: credentials.service.LoadCredential,
      // The two FIFOs between mosquitto_pub, the heartbeat clock and the script.
      RuntimeDirectory: "mqtt-client",
      Restart: "always",
      // The runbook's reconnect interval (lyra-client's reconnectSeconds).
      RestartSec: reconnectSeconds,
      DynamicUser: true,
      ...hardened({
        // Sees no user but its own transient one (and root), so it can signal or read nobody else's files.
        PrivateUsers: true,
      }),
    },
    Install: { WantedBy: "multi-user.target" },
  });

  return {
    packages: ["mosquitto-clients"],
    directories: [
      { path: "/etc/lyra", mode: "0755", owner: "root", group: "root" },
      { path: mqttClientConfigDir, mode: "0755", owner: "root", group: "root" },
      { path: "/usr/local/lib/lyra", mode: "0755", owner: "root", group: "root" },
    ],
    files: [
      plainFile(mqttClientScriptPath, mqttClientScript, "0755"),
      plainFile(mqttClientEnvPath, env, "0644"),
      ...credentials.files,
    ],
    units: [
      {
        name: mqttClientUnit,
        content: unit,
        enabled: true,
        active: true,
        longRunning: true,
        after: [brokerPrerequisite(fleet)],
      },
    ],
    checks: [
      { kind: "unit", name: `${host.name}: ${mqttClientUnit} active`, unit: mqttClientUnit },
      {
        kind: "mqtt-fresh",
        name: `${host.name}: heartbeat on ${presenceTopic(host.name)}`,
        topic: presenceTopic(host.name),
        withinSeconds: 60,
      },
      {
        kind: "mqtt-registered",
        name: `${host.name}: registered on ${registrationTopic(host.name)}`,
        topic: registrationTopic(host.name),
        client: host.name,
        // The retained registration answers at once. A mirror whose retained message is its last
        // will registers again when systemd restarts it (RestartSec, 30 s by default): at least 60 s,
        // and two refresh periods for slow heartbeats.
        withinSeconds: Math.max(60, 2 * registrationPeriodSeconds(ctx.settings.heartbeatSeconds)),
      },
    ],
    recovery: [
      {
        service: "mqtt-client",
        commands: ["systemctl restart mqtt-client", "journalctl -u mqtt-client -n 20 --no-pager"],
        // A mirror's own MQTT user may not read presence: watching it takes the monitor user.
        operatorCommands: [
          "# every mirror's heartbeat, as it arrives",
          ...watchesFromOperator(fleet, presenceWatch(fleet)),
          "# every mirror's registration (retained: online, or its last will marking it offline)",
          ...watchesFromOperator(fleet, registrationsWatch(fleet)),
        ],
      },
    ],
  };
};
