/**
 * Counters of what the host layer did to the hosts, for tests and benchmarks ("a second apply
 * issues zero remote writes").
 *
 * Kept on `globalThis` under a registry symbol rather than in a module variable: Pulumi
 * serializes each dynamic provider separately, so one provider process can hold several copies of
 * this module's code, and they must all count into the same place.
 */

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

/** Adds `amount` to one counter, in the total and for `host`. */
export function countHostEvent(host: string, name: HostCounterName, amount = 1): void {
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
    const source = host === undefined ? store.total : store.byHost.get(host) ?? zeroCounters();
    return { ...source };
}

/** Sets every counter back to zero. */
export function resetHostCounters(): void {
    const store = counterStore();
    store.total = zeroCounters();
    store.byHost.clear();
}
