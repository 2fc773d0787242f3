/**
 * Counters of what the host layer did to the hosts, for tests and benchmarks ("a second apply
 * issues zero remote writes").
 *
 * Kept on `globalThis` under a registry symbol rather than in a module variable: Pulumi
 * serializes each dynamic provider separately, so one provider process can hold several copies of
 * this module's code, and they must all count into the same place.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";

/** What the host layer has done since the last reset. */
export interface HostCounters {
  /** SSH connections opened (handshake and login completed). */
  connectionsOpened: number;
  /** Commands run on a host, reads and writes alike: each is one SSH channel, one round trip. */
  remoteCommands: number;
  /** Commands that change a host (write, chmod, delete, systemctl start, apt-get install ...). */
  remoteWrites: number;
  /** Units restarted because their unit file or a trigger changed. */
  unitRestarts: number;
  /** Units started because they were not running. */
  unitStarts: number;
  /** Extra starts after a unit failed on its first try (LAB-NOTES: transient status=219/CGROUP). */
  unitStartRetries: number;
  /** `apt-get install` runs. */
  aptInstalls: number;
}

/** Names of the counters, for iteration in reports. */
export type HostCounterName = keyof HostCounters;

interface CounterStore {
  total: HostCounters;
  byHost: Map<string, HostCounters>;
}

function zeroCounters(): HostCounters {
  return {
    connectionsOpened: 0,
    remoteCommands: 0,
    remoteWrites: 0,
    unitRestarts: 0,
    unitStarts: 0,
    unitStartRetries: 0,
    aptInstalls: 0,
  };
}

function counterStore(): CounterStore {
  const registry = globalThis as unknown as Record<symbol, CounterStore | undefined>;
  const key = Symbol.for("lyra-fleet.host.counters");
  let store = registry[key];
  if (!store) {
    store = { total: zeroCounters(), byHost: new Map() };
    registry[key] = store;
  }
  return store;
}

/**
 * Adds `amount` to one counter, in the total and for `host`. With `LYRA_HOST_COUNTERS_LOG` set to
 * a file, each event is also appended there as "host<TAB>counter<TAB>amount": under the Pulumi CLI
 * the providers run in processes of the engine's, and that file is how a test or benchmark
 * counts what a `pulumi up` did to the hosts.
 */
export function countHostEvent(host: string, name: HostCounterName, amount = 1): void {
  const log = process.env.LYRA_HOST_COUNTERS_LOG;
  if (log) appendFileSync(log, `${host}\t${name}\t${amount}\n`);
  const store = counterStore();
  store.total[name] += amount;
  let perHost = store.byHost.get(host);
  if (!perHost) {
    perHost = zeroCounters();
    store.byHost.set(host, perHost);
  }
  perHost[name] += amount;
}

/** A snapshot of the counters, over all hosts or for one fleet host. */
export function hostCounters(host?: string): HostCounters {
  const store = counterStore();
  const source = host === undefined ? store.total : (store.byHost.get(host) ?? zeroCounters());
  return { ...source };
}

/** Sets every counter back to zero. */
export function resetHostCounters(): void {
  const store = counterStore();
  store.total = zeroCounters();
  store.byHost.clear();
}

/** Counters by host, summed from a `LYRA_HOST_COUNTERS_LOG` file (none yet: no host touched). */
export function readCountersLog(path: string): Record<string, HostCounters> {
  const byHost: Record<string, HostCounters> = {};
  if (!existsSync(path)) return byHost;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const [host, name, amount] = line.split("\t");
    if (!amount) continue;
    byHost[host] ??= zeroCounters();
    byHost[host][name as HostCounterName] += Number(amount);
  }
  return byHost;
}
