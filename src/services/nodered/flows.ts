/**
 * Node-RED's flows: the heartbeat watchdog. It subscribes to `lyra/presence/+`, remembers when each
 * mirror last sent a heartbeat, and every few seconds marks a mirror stale once `staleAfterSeconds`
 * passed without one, publishing the mirror's status to `lyra/status/<mirror>` (retained, so a UI
 * that connects later sees it at once). A mirror that comes back is published online immediately.
 *
 * The mirrors the fleet declares are known from the start, so a mirror that is already dead when
 * Node-RED (re)starts still goes stale instead of never being noticed.
 */
import type { FleetModel } from "../../model/fleet";
import { jsonStringSecretToken } from "../../render/secrets";
import { brokerAddress } from "../mqtt-broker/client-credentials";
import type { NoderedOptions } from "./options";
import { mqttPasswordKey } from "../mqtt-broker/secrets";
import { brokerOf } from "../mqtt-broker/placement";

/** The broker account Node-RED uses (src/model/resolve.ts implicitMqttUsers). */
export const noderedMqttUser = "nodered";
export const watchdogIds = {
  tab: "lyra-watchdog-tab",
  broker: "lyra-broker",
  presenceIn: "lyra-presence-in",
  tick: "lyra-watchdog-tick",
  watchdog: "lyra-heartbeat-watchdog",
  statusOut: "lyra-status-out",
} as const;

/** How often the watchdog looks for stale mirrors: a sixth of the stale time, 1 to 5 seconds. */
export function checkIntervalSeconds(staleAfterSeconds: number): number {
  return Math.min(5, Math.max(1, Math.floor(staleAfterSeconds / 6)));
}

/** The mirrors that send heartbeats: every host running mqtt-client, in name order. */
export function heartbeatMirrors(fleet: FleetModel): string[] {
  return fleet.hosts.filter((h) => h.services["mqtt-client"]).map((h) => h.name);
}

// Runs once when the flow starts: every declared mirror starts its stale clock now.
const initializeCode = (mirrors: string[]) => `const known = ${JSON.stringify(mirrors)};
const now = Date.now();
const mirrors = context.get("mirrors") || {};
for (const name of known) {
    // Own keys only: a mirror may be called \`constructor\`, which every object inherits.
    if (!Object.prototype.hasOwnProperty.call(mirrors, name)) mirrors[name] = { lastSeen: null, since: now, status: "unknown" };
}
context.set("mirrors", mirrors);
`;

// Heartbeats update a mirror's clock; ticks look for mirrors past the stale time. Only changes are
// published. A retained presence message is an old heartbeat replayed by the broker on subscribe,
// not a sign of life, so it is ignored (MQTT 3.1.1 sets the flag only on such replays).
const watchdogCode = (staleAfterSeconds: number) => `const staleAfterSeconds = ${staleAfterSeconds};
const now = Date.now();
const mirrors = context.get("mirrors") || {};
const out = [];
function publish(name, m) {
    out.push({
        topic: "lyra/status/" + name,
        payload: {
            mirror: name,
            status: m.status,
            lastSeen: m.lastSeen === null ? null : new Date(m.lastSeen).toISOString(),
            staleAfterSeconds: staleAfterSeconds,
        },
        retain: true,
        qos: 1,
    });
}
const prefix = "lyra/presence/";
if (typeof msg.topic === "string" && msg.topic.startsWith(prefix)) {
    const name = msg.topic.slice(prefix.length);
    // Only a host's name (\`__proto__\` would reach every object's prototype), and own keys only.
    if (msg.retain || !/^[a-z][a-z0-9-]{0,62}$/.test(name)) return null;
    const m = Object.prototype.hasOwnProperty.call(mirrors, name) ? mirrors[name] : { lastSeen: null, since: now, status: "unknown" };
    m.lastSeen = now;
    mirrors[name] = m;
    if (m.status !== "online") {
        m.status = "online";
        publish(name, m);
    }
} else {
    for (const name of Object.keys(mirrors).sort()) {
        const m = mirrors[name];
        const last = m.lastSeen === null ? m.since : m.lastSeen;
        if (m.status !== "stale" && now - last >= staleAfterSeconds * 1000) {
            m.status = "stale";
            publish(name, m);
        }
    }
}
context.set("mirrors", mirrors);
const names = Object.keys(mirrors);
const stale = names.filter((n) => mirrors[n].status === "stale").length;
node.status({ fill: stale > 0 ? "red" : "green", shape: "dot", text: stale + " of " + names.length + " stale" });
return [out];
`;

/** flows.json: the watchdog tab, its broker connection and its nodes. No secret in it. */
export function watchdogFlows(fleet: FleetModel, settings: NoderedOptions, host: string): object[] {
  const interval = checkIntervalSeconds(settings.staleAfterSeconds);
  const ids = watchdogIds;
  return [
    {
      id: ids.tab,
      type: "tab",
      label: "Heartbeat watchdog",
      disabled: false,
      // Locked in the editor (Node-RED 3.1+): a change belongs in the stack, and an editor edit of this
      // tab is replaced by the stack's at the next start (fleet-storage.js).
      locked: true,
      info: "Managed by lyra-fleet from the stack: edits here are replaced at the next start of Node-RED. Your own flows belong on other tabs.",
    },
    {
      id: ids.broker,
      type: "mqtt-broker",
      name: `${brokerOf(fleet).host} broker`,
      broker: brokerAddress(fleet).host,
      port: String(brokerAddress(fleet).port),
      clientid: `nodered-${host}`,
      autoConnect: true,
      usetls: false,
      // MQTT 3.1.1: the retain flag then marks broker replays only (see the watchdog's code).
      protocolVersion: "4",
      keepalive: "60",
      cleansession: true,
      autoUnsubscribe: true,
    },
    {
      id: ids.presenceIn,
      type: "mqtt in",
      z: ids.tab,
      name: "heartbeats",
      topic: "lyra/presence/+",
      qos: "1",
      datatype: "utf8",
      broker: ids.broker,
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      x: 150,
      y: 80,
      wires: [[ids.watchdog]],
    },
    {
      id: ids.tick,
      type: "inject",
      z: ids.tab,
      name: `check every ${interval} s`,
      props: [{ p: "topic", vt: "str" }],
      repeat: String(interval),
      crontab: "",
      once: true,
      onceDelay: "1",
      topic: "watchdog/tick",
      x: 150,
      y: 140,
      wires: [[ids.watchdog]],
    },
    {
      id: ids.watchdog,
      type: "function",
      z: ids.tab,
      name: `stale after ${settings.staleAfterSeconds} s`,
      func: watchdogCode(settings.staleAfterSeconds),
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: initializeCode(heartbeatMirrors(fleet)),
      finalize: "",
      libs: [],
      x: 400,
      y: 110,
      wires: [[ids.statusOut]],
    },
    {
      id: ids.statusOut,
      type: "mqtt out",
      z: ids.tab,
      name: "lyra/status/<mirror>",
      topic: "",
      qos: "1",
      retain: "true",
      broker: ids.broker,
      x: 650,
      y: 110,
      wires: [],
    },
  ];
}

/**
 * flows_cred.json, in Node-RED's plain (unencrypted) form: the broker login of the `nodered` user.
 * Plain because encrypting needs the secret and a random IV at render time, which a pure renderer
 * has neither of; the file is protected by its mode and systemd's credential passing instead.
 */
export function watchdogCredentials(): Record<string, { user: string; password: string }> {
  return {
    [watchdogIds.broker]: { user: noderedMqttUser, password: jsonStringSecretToken(mqttPasswordKey(noderedMqttUser)) },
  };
}
