/**
 * The SSH transport of the host resources: pinned host keys, deadlines everywhere, sudo for
 * non-root users, one shared connection per host, and nothing secret in any message.
 *
 * Connections live in a pool on `globalThis` (see counters.ts for why not a module variable).
 */
import type * as net from "net";
import type { Client, ClientChannel, ConnectConfig } from "ssh2";
import {
    connectionPoolKey,
    connectionProblems,
    DEFAULT_CONNECT_TIMEOUT_MS,
    describeHost,
    HostConnection,
    pinnedKeyOf,
} from "./connection";
import { countHostEvent } from "./counters";
import { hostError, type HostError, scrubSecrets } from "./errors";
import { hostKeyAlgorithmsFor, PinnedHostKey, sha256Fingerprint } from "./host-key";
import { shellScriptCommand } from "./shell";

/** Default deadline of one remote command. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/**
 * OpenSSH's sshd serves at most 10 sessions per connection (MaxSessions). Pulumi runs resources in
 * parallel, so without a cap the eleventh would fail with "open failed"; above the cap they queue.
 */
const MAX_CHANNELS_PER_CONNECTION = 8;

/** An idle connection is closed after this long, so sshd does not hold sessions for nobody. */
const IDLE_CLOSE_MS = 5_000;

/** Grace the local deadline gives the remote `timeout` to report (exit 124) before giving up. */
const LOCAL_DEADLINE_GRACE_MS = 3_000;

/** Options of one remote command. */
export interface RemoteCommandOptions {
    /** What the command does, for messages and debug logs ("write /etc/hosts"). Never content. */
    purpose: string;
    /** Arguments the script reads as "$1", "$2", ... (names and paths only, never content). */
    args?: readonly string[];
    /** Sent on stdin, then stdin is closed. Content travels here; it is scrubbed from every message. */
    stdin?: string;
    /** The command changes the host: counted in `remoteWrites`. */
    writes?: boolean;
    /** Deadline in milliseconds, enforced on the host (`timeout`) and here. Default 60 000. */
    timeoutMs?: number;
    /** Further values that must never appear in a message. */
    secrets?: readonly (string | undefined)[];
}

/** What a remote command left behind. */
export interface RemoteCommandResult {
    /** Exit status (-1 if the host reported none). */
    exitCode: number;
    /** Standard output, UTF-8. */
    stdout: string;
    /** Standard error, UTF-8. */
    stderr: string;
}

interface PooledConnection {
    client: Client;
    socket: net.Socket;
    /** The key blob the host presented and we accepted. */
    presentedKey: Buffer;
    activeChannels: number;
    waitingForChannel: Array<() => void>;
    idleTimer?: NodeJS.Timeout;
    closed: boolean;
}

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

/** Writes a debug line to stderr when LYRA_HOST_DEBUG is set. Callers pass no secrets. */
function debugLog(line: string): void {
    if (process.env.LYRA_HOST_DEBUG) process.stderr.write(`[lyra-host] ${line}\n`);
}

function hostKeyMismatch(connection: HostConnection, pin: PinnedHostKey, presented: Buffer): HostError {
    return hostError(
        connection.host,
        "host-key",
        `${describeHost(connection)}: host key mismatch: pinned ${pin.fingerprint} (${pin.type}) but the host ` +
            `presented ${sha256Fingerprint(presented)}. Refused before running any command; nothing was changed. ` +
            `If the host was re-installed, check the new key on its console and update hostKey.`,
    );
}

// An array, not a Set: Pulumi's closure serializer writes a captured Set as an empty object.
const UNREACHABLE_CODES = [
    "ECONNREFUSED",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "ETIMEDOUT",
    "ECONNRESET",
    "ENOTFOUND",
    "EAI_AGAIN",
    "EPIPE",
];

function connectError(connection: HostConnection, error: Error & { level?: string; code?: unknown }): HostError {
    const where = describeHost(connection);
    const secrets = [connection.privateKey];
    if (error.level === "client-authentication") {
        const method = connection.privateKey ? "the given private key" : "the SSH agent at SSH_AUTH_SOCK";
        return hostError(
            connection.host,
            "auth",
            `${where}: SSH login as ${connection.user} was refused (tried ${method}); nothing was changed`,
            secrets,
        );
    }
    if (typeof error.code === "string" && UNREACHABLE_CODES.includes(error.code)) {
        return hostError(
            connection.host,
            "unreachable",
            `${where}: cannot reach sshd (${error.code}); nothing was changed`,
            secrets,
        );
    }
    return hostError(
        connection.host,
        "unreachable",
        `${where}: SSH connection failed: ${error.message}; nothing was changed`,
        secrets,
    );
}

/** Opens, verifies and logs in one connection, all within the connect deadline. */
function openConnection(connection: HostConnection, pin: PinnedHostKey): Promise<PooledConnection> {
    // Required here, not at the top: Pulumi serializes the providers' closures, and a require inside
    // a function is emitted as is instead of being captured.
    const { Client: SshClient } = require("ssh2") as typeof import("ssh2");
    const netModule = require("net") as typeof import("net");
    const where = describeHost(connection);
    const timeoutMs = connection.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const agent = connection.privateKey ? undefined : process.env.SSH_AUTH_SOCK;
    if (!connection.privateKey && !agent) {
        return Promise.reject(
            hostError(connection.host, "auth", `${where}: no privateKey given and SSH_AUTH_SOCK is not set; nothing was attempted`),
        );
    }
    return new Promise((resolve, reject) => {
        const socket = netModule.connect({ host: connection.address, port: connection.port });
        // OS keepalive instead of ssh2's: its keepalive interval timer would keep the process alive.
        socket.setKeepAlive(true, 10_000);
        socket.setNoDelay(true);
        const client = new SshClient();
        // Each running command listens for the connection closing; up to 8 run at once.
        client.setMaxListeners(50);
        let presented: Buffer | undefined;
        let settled = false;
        // Declared before the closures that use it: Pulumi's closure serializer cannot follow a
        // closure to a const declared further down.
        let deadline: NodeJS.Timeout | undefined = undefined;
        const fail = (error: HostError) => {
            if (settled) return;
            settled = true;
            clearTimeout(deadline);
            client.end();
            socket.destroy();
            reject(error);
        };
        deadline = setTimeout(
            () =>
                fail(
                    hostError(
                        connection.host,
                        "unreachable",
                        `${where}: no SSH answer within ${timeoutMs / 1000} s (connect, handshake and login); nothing was changed`,
                    ),
                ),
            timeoutMs,
        );
        const pooled: PooledConnection = {
            client,
            socket,
            presentedKey: Buffer.alloc(0),
            activeChannels: 0,
            waitingForChannel: [],
            closed: false,
        };
        client.on("error", (error: Error & { level?: string; code?: unknown }) => {
            if (presented && !presented.equals(pin.blob)) fail(hostKeyMismatch(connection, pin, presented));
            else fail(connectError(connection, error));
            pooled.closed = true;
        });
        client.on("close", () => {
            pooled.closed = true;
            const pool = connectionPool();
            const key = connectionPoolKey(connection);
            if (pool.open.get(key) === pooled) pool.open.delete(key);
            clearTimeout(pooled.idleTimer);
        });
        client.on("ready", () => {
            if (settled) return;
            settled = true;
            clearTimeout(deadline);
            pooled.presentedKey = presented ?? Buffer.alloc(0);
            countHostEvent(connection.host, "connectionsOpened");
            debugLog(`${where}: connected, host key ${pin.fingerprint}`);
            resolve(pooled);
        });
        const config: ConnectConfig = {
            sock: socket,
            username: connection.user,
            privateKey: connection.privateKey,
            agent,
            hostVerifier: (key: Buffer) => {
                presented = Buffer.from(key);
                return presented.equals(pin.blob);
            },
            algorithms: { serverHostKey: hostKeyAlgorithmsFor(pin.type) } as ConnectConfig["algorithms"],
            readyTimeout: 0, // our own deadline above covers connect, handshake and login together
        };
        try {
            client.connect(config);
        } catch (error) {
            // ssh2 throws synchronously for an unreadable private key; its message holds no key material,
            // but it goes through the scrubber like everything else.
            fail(
                hostError(
                    connection.host,
                    "auth",
                    `${where}: cannot use the private key: ${(error as Error).message}; nothing was attempted`,
                    [connection.privateKey],
                ),
            );
        }
    });
}

/** A verified, logged-in connection for this spec: the pooled one, or a new one. */
async function acquireConnection(connection: HostConnection): Promise<PooledConnection> {
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
            pending = openConnection(connection, pin);
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

async function takeChannelSlot(pooled: PooledConnection): Promise<void> {
    clearTimeout(pooled.idleTimer);
    pooled.idleTimer = undefined;
    pooled.socket.ref();
    if (pooled.activeChannels < MAX_CHANNELS_PER_CONNECTION) {
        pooled.activeChannels++;
        return;
    }
    await new Promise<void>((resolve) => pooled.waitingForChannel.push(resolve));
}

function releaseChannelSlot(pooled: PooledConnection): void {
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

/** The full command line: the script under `timeout`, under `sudo -n` unless we log in as root. */
function commandLine(connection: HostConnection, script: string, args: readonly string[], timeoutMs: number): string {
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const timed = `timeout -k 5 ${seconds} ${shellScriptCommand(script, args)}`;
    return connection.user === "root" ? timed : `sudo -n -- ${timed}`;
}

function execOnChannel(
    pooled: PooledConnection,
    command: string,
    stdin: string | undefined,
    deadlineMs: number,
    onDeadline: () => void,
): Promise<RemoteCommandResult> {
    return new Promise((resolve, reject) => {
        let done = false;
        // Declared before the closures that use them (see openConnection).
        let deadline: NodeJS.Timeout | undefined = undefined;
        let onConnectionClosed: () => void = () => undefined;
        const finish = (settle: () => void) => {
            if (done) return;
            done = true;
            clearTimeout(deadline);
            pooled.client.removeListener("close", onConnectionClosed);
            settle();
        };
        // A connection that dies under a running command closes no channel: fail it here.
        let channelOpened = false;
        // Tells the caller whether the command may have started (see runRemote's retry).
        const failed = (error: Error) => Object.assign(error, { channelOpened });
        onConnectionClosed = () => finish(() => reject(failed(new Error("the connection closed"))));
        deadline = setTimeout(() => {
            onDeadline();
            finish(() => reject(failed(new Error("deadline passed"))));
        }, deadlineMs);
        pooled.client.on("close", onConnectionClosed);
        const onChannel = (error: Error | undefined, channel: ClientChannel) => {
            if (error) {
                finish(() => reject(failed(error)));
                return;
            }
            channelOpened = true;
            const stdout: Buffer[] = [];
            const stderr: Buffer[] = [];
            let exitCode = -1;
            channel.on("data", (chunk: Buffer) => stdout.push(chunk));
            channel.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
            channel.on("exit", (code: number | null) => {
                if (typeof code === "number") exitCode = code;
            });
            channel.on("close", () =>
                finish(() =>
                    resolve({
                        exitCode,
                        stdout: Buffer.concat(stdout).toString("utf8"),
                        stderr: Buffer.concat(stderr).toString("utf8"),
                    }),
                ),
            );
            // Always close stdin, so a command that reads it (cat > tmp) sees the end.
            channel.end(stdin === undefined ? undefined : Buffer.from(stdin, "utf8"));
        };
        try {
            pooled.client.exec(command, onChannel);
        } catch (error) {
            // ssh2 throws synchronously on a connection that is already gone.
            finish(() => reject(failed(error as Error)));
        }
    });
}

/**
 * Runs a shell script on the host as root (through `sudo -n` for other users) and returns its
 * result whatever the exit code. Throws a {@link HostError} for transport failures, deadlines and
 * sudo refusals; every message is scrubbed of stdin, the private key and `options.secrets`.
 */
export async function runRemote(
    connection: HostConnection,
    script: string,
    options: RemoteCommandOptions,
): Promise<RemoteCommandResult> {
    const where = describeHost(connection);
    const secrets = [options.stdin, connection.privateKey, ...(options.secrets ?? [])];
    const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const started = Date.now();
    let result: RemoteCommandResult | undefined;
    let deadlinePassed = false;
    for (let attempt = 1; result === undefined; attempt++) {
        const pooled = await acquireConnection(connection);
        await takeChannelSlot(pooled);
        try {
            countHostEvent(connection.host, "remoteCommands");
            if (options.writes) countHostEvent(connection.host, "remoteWrites");
            const command = commandLine(connection, script, options.args ?? [], timeoutMs);
            result = await execOnChannel(pooled, command, options.stdin, timeoutMs + LOCAL_DEADLINE_GRACE_MS, () => {
                // The host's own `timeout` did not answer: the connection is as good as dead.
                deadlinePassed = true;
            });
        } catch (error) {
            // A dead connection is never reused.
            pooled.closed = true;
            pooled.client.destroy();
            // A pooled connection can die between commands (the host rebooted, was re-flashed). One
            // more try on a fresh connection is safe when the command cannot have started, or only reads.
            const mayHaveRun = (error as { channelOpened?: boolean }).channelOpened !== false;
            if (!deadlinePassed && attempt === 1 && (!mayHaveRun || !options.writes)) {
                debugLog(`${where}: ${options.purpose}: ${(error as Error).message}; trying once more on a new connection`);
                continue;
            }
            throw hostError(
                connection.host,
                deadlinePassed ? "timeout" : "unreachable",
                deadlinePassed
                    ? `${where}: ${options.purpose}: no answer within ${timeoutMs / 1000} s; the connection was dropped`
                    : `${where}: ${options.purpose}: the SSH connection failed: ${(error as Error).message}`,
                secrets,
            );
        } finally {
            releaseChannelSlot(pooled);
        }
    }
    debugLog(`${where}: ${options.purpose}: exit ${result.exitCode} in ${Date.now() - started} ms`);
    if (deadlinePassed || result.exitCode === 124) {
        throw hostError(
            connection.host,
            "timeout",
            `${where}: ${options.purpose}: did not finish within ${timeoutMs / 1000} s and was stopped`,
            secrets,
        );
    }
    if (connection.user !== "root" && /^sudo: (a password is required|a terminal is required)/m.test(result.stderr)) {
        throw hostError(
            connection.host,
            "sudo",
            `${where}: ${options.purpose}: ${connection.user} is not root and sudo asks for a password; ` +
                `give ${connection.user} passwordless sudo (NOPASSWD) or log in as root. Nothing was changed by this command`,
            secrets,
        );
    }
    if (connection.user !== "root" && result.exitCode === 127 && /sudo: (command )?not found/.test(result.stderr)) {
        throw hostError(
            connection.host,
            "sudo",
            `${where}: ${options.purpose}: ${connection.user} is not root and sudo is not installed; nothing was changed`,
            secrets,
        );
    }
    return result;
}

/** Like {@link runRemote}, but a non-zero exit is an error quoting the end of stderr. Returns stdout. */
export async function runRemoteChecked(
    connection: HostConnection,
    script: string,
    options: RemoteCommandOptions,
): Promise<string> {
    const result = await runRemote(connection, script, options);
    if (result.exitCode !== 0) {
        const tail = result.stderr.trim().split("\n").slice(-8).join("\n");
        throw hostError(
            connection.host,
            "command",
            `${describeHost(connection)}: ${options.purpose}: failed with exit code ${result.exitCode}` +
                (tail ? `: ${tail}` : ""),
            [options.stdin, connection.privateKey, ...(options.secrets ?? [])],
        );
    }
    return result.stdout;
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
                pooled.client.end();
            }),
    );
    pool.open.clear();
    await Promise.all(closing);
}

/** Scrubs secrets from text the caller wants to show (re-exported for the resources). */
export { scrubSecrets };
