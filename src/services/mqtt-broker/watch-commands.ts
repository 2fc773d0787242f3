/**
 * The runbook's mosquitto_sub commands, as the monitor user, each one ending. `-C <n>` stops after
 * the n messages the fleet owes (one retained message per publisher, or one heartbeat per mirror);
 * `-W <s>` gives up after s seconds with exit status 27 when fewer came. A watch that never ends
 * tells neither a reader nor a test whether it saw what it should.
 */
import { hostsRunning, type FleetModel, type Host } from "../../model/fleet";
import { registrationTopics } from "../../model/topics";
import { stackName } from "../../render/docs/facts";
import { asMonitor, monitorUser } from "./mosquitto-config";
import { brokerOf } from "./placement";
import { mqttPasswordKey } from "./secrets";

/** What to wait for: `count` messages on `topic` within `seconds`. */
export interface Watch {
  topic: string;
  count: number;
  seconds: number;
}

// Retained messages come at once on subscribe; a few seconds cover a slow login.
const retainedSeconds = 10;

const args = (w: Watch) => `-t '${w.topic}' -v -C ${w.count} -W ${w.seconds}`;

/** On the broker's host, as root: the monitor's options file holds host, port, user and password. */
export function watchOnBroker(w: Watch): string {
  return `${asMonitor} mosquitto_sub ${args(w)}`;
}

/**
 * From the operator's machine, in the checkout: the broker at the address the stack reaches it
 * on (as SSH does), the monitor's password read from the stack at the moment it is needed.
 */
export function watchFromOperator(fleet: FleetModel, w: Watch): string {
  const broker = brokerOf(fleet);
  const address = fleet.hosts.find((h) => h.name === broker.host)?.address ?? broker.host;
  const password = `"$(pulumi config get --stack ${stackName(fleet)} ${mqttPasswordKey(monitorUser)})"`;
  return `mosquitto_sub -h ${address} -p ${broker.port} -u ${monitorUser} -P ${password} ${args(w)}`;
}

/** Each host's retained health (`lyra/health/<host>`); undefined when no host publishes it. */
export function healthWatch(fleet: FleetModel): Watch | undefined {
  const count = hostsRunning(fleet, "health-publisher").length;
  return count > 0 ? { topic: "lyra/health/#", count, seconds: retainedSeconds } : undefined;
}

/** Each mirror's retained registration or last will. */
export function registrationsWatch(fleet: FleetModel): Watch | undefined {
  const count = hostsRunning(fleet, "mqtt-client").length;
  return count > 0 ? { topic: registrationTopics, count, seconds: retainedSeconds } : undefined;
}

/** One heartbeat per mirror (not retained): two of the slowest mirror's intervals and a margin. */
export function presenceWatch(fleet: FleetModel): Watch | undefined {
  const mirrors = hostsRunning(fleet, "mqtt-client");
  if (mirrors.length === 0) return undefined;
  // Every mirror's files name this watch: the slowest heartbeat is found once per model.
  let slowest = slowestHeartbeat.get(mirrors);
  if (slowest === undefined) {
    slowest = mirrors.reduce((most, h) => Math.max(most, h.services["mqtt-client"]!.heartbeatSeconds), 0);
    slowestHeartbeat.set(mirrors, slowest);
  }
  return { topic: "lyra/presence/#", count: mirrors.length, seconds: 2 * slowest + 5 };
}

/** By the model's list of mirrors (hostsRunning keeps one list per model). */
const slowestHeartbeat = new WeakMap<readonly Host[], number>();

/** Node-RED's retained status of each mirror it watches (`lyra/status/<mirror>`). */
export function statusWatch(fleet: FleetModel): Watch | undefined {
  const count = hostsRunning(fleet, "mqtt-client").length;
  return count > 0 ? { topic: "lyra/status/#", count, seconds: retainedSeconds } : undefined;
}

/** {@link watchFromOperator} as a list of lines: none when nothing publishes there. */
export function watchesFromOperator(fleet: FleetModel, w: Watch | undefined): string[] {
  return w ? [watchFromOperator(fleet, w)] : [];
}
