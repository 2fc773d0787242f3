/**
 * One SSH connection per (host, address, port, user), shared by every resource of that host in the
 * provider process, with a cap on parallel channels and an idle close so the process can exit.
 *
 * The pool lives on `globalThis` (see counters.ts for why not a module variable).
 */
import { connectionPoolKey, connectionProblems, HostConnection, pinnedKeyOf } from "./connection";
import { hostError } from "./errors";
import { hostKeyMismatch, OpenConnection, openConnection } from "./ssh-connect";

/**
 * OpenSSH's sshd serves at most 10 sessions per connection (MaxSessions), and frees a closed
 * session only in a later pass of its main loop, after it may already have read our next channel
 * request: with N channels running and N just closed it can count 2N. 6 and 8 were measured to hit
 * "no more sessions" in the lab; 5 keeps 2N within 10. Above the cap, commands queue (and a
 * refused channel is retried anyway, see ssh.ts).
 */
const MAX_CHANNELS_PER_CONNECTION = 5;

/** An idle connection is closed after this long, so sshd does not hold sessions for nobody. */
const IDLE_CLOSE_MS = 5_000;

/** A pooled connection. */
export type PooledConnection = OpenConnection;

interface ConnectionPool {
  open: Map<string, PooledConnection>;
  connecting: Map<string, Promise<PooledConnection>>;
}

function connectionPool(): ConnectionPool {
  const registry = globalThis as unknown as Record<symbol, ConnectionPool | undefined>;
  const key = Symbol.for("lyra-fleet.host.ssh-pool");
  let pool = registry[key];
  if (!pool) {
    pool = { open: new Map(), connecting: new Map() };
    registry[key] = pool;
  }
  return pool;
}

/** A verified, logged-in connection for this spec: the pooled one, or a new one. */
export async function acquireConnection(connection: HostConnection): Promise<PooledConnection> {
  const problems = connectionProblems(connection);
  if (problems.length > 0) {
    throw hostError(
      String((connection as Partial<HostConnection>)?.host ?? "unknown host"),
      "invalid-connection",
      `${(connection as Partial<HostConnection>)?.host ?? "unknown host"}: invalid connection: ${problems.join("; ")}`,
      [(connection as Partial<HostConnection>)?.privateKey],
    );
  }
  const pin = pinnedKeyOf(connection);
  const pool = connectionPool();
  const key = connectionPoolKey(connection);
  let pooled = pool.open.get(key);
  if (!pooled || pooled.closed) {
    let pending = pool.connecting.get(key);
    if (!pending) {
      pending = openConnection(connection, pin, (closed) => {
        if (pool.open.get(key) === closed) pool.open.delete(key);
      });
      pool.connecting.set(key, pending);
      pending.then(
        (opened) => {
          pool.connecting.delete(key);
          if (!opened.closed) pool.open.set(key, opened);
        },
        () => pool.connecting.delete(key),
      );
    }
    pooled = await pending;
  }
  // The pool is keyed without the pin: a request pinning another key must not ride on a
  // connection that was verified against a different one.
  if (!pooled.presentedKey.equals(pin.blob)) throw hostKeyMismatch(connection, pin, pooled.presentedKey);
  return pooled;
}

export async function takeChannelSlot(pooled: PooledConnection): Promise<void> {
  clearTimeout(pooled.idleTimer);
  pooled.idleTimer = undefined;
  pooled.socket.ref();
  if (pooled.activeChannels < MAX_CHANNELS_PER_CONNECTION) {
    pooled.activeChannels++;
    return;
  }
  await new Promise<void>((resolve) => pooled.waitingForChannel.push(resolve));
}

export function releaseChannelSlot(pooled: PooledConnection): void {
  const next = pooled.waitingForChannel.shift();
  if (next) {
    next(); // the slot passes straight to the next waiter
    return;
  }
  pooled.activeChannels--;
  if (pooled.activeChannels === 0 && !pooled.closed) {
    // Idle: let the process exit if nothing else keeps it alive, and hang up after a while.
    pooled.socket.unref();
    pooled.idleTimer = setTimeout(() => pooled.client.end(), IDLE_CLOSE_MS);
    pooled.idleTimer.unref();
  }
}

/** Closes every pooled connection (tests and benchmarks call this at the end). */
export async function closeAllHostConnections(): Promise<void> {
  const pool = connectionPool();
  await Promise.allSettled([...pool.connecting.values()]);
  const closing = [...pool.open.values()].map(
    (pooled) =>
      new Promise<void>((resolve) => {
        clearTimeout(pooled.idleTimer);
        if (pooled.closed) return resolve();
        pooled.client.once("close", () => resolve());
        // An idle socket is unref'd: without this the process could exit mid-await.
        pooled.socket.ref();
        pooled.client.end();
      }),
  );
  pool.open.clear();
  await Promise.all(closing);
}
