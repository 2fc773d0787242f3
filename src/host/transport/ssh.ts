/**
 * The SSH transport of the host resources: run a script on a host as root, with a deadline, its
 * content on stdin, nothing secret in any message. Connections come from ssh-pool.ts.
 */
import type { ClientChannel } from "ssh2";
import { describeHost, HostConnection } from "./connection";
import { countHostEvent } from "./counters";
import { recordHostWait } from "./timing";
import { hostError } from "./errors";
import { debugLog } from "./log";
import { acquireConnection, PooledConnection, releaseChannelSlot, takeChannelSlot } from "./ssh-pool";
import { shellScriptCommand } from "./shell";

export { closeAllHostConnections } from "./ssh-pool";

/** Default deadline of one remote command. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

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

/** Tries of one command when the host refused its channel or the connection died under it. */
const MAX_ATTEMPTS = 3;

/** Pause before a retry, times the attempt number. */
const RETRY_PAUSE_MS = 200;

/**
 * Whether a failed command may be tried again. A refused channel never ran anything. A dead
 * connection (the host rebooted, was re-flashed) is replaced by a fresh one; safe when the command
 * cannot have started, or only reads.
 */
function retryable(
  error: { channelOpened?: boolean; connectionLost?: boolean },
  options: RemoteCommandOptions,
): boolean {
  if (error.connectionLost === false) return true;
  return error.channelOpened === false || !options.writes;
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
    // Tells the caller whether the command may have started and whether the connection is
    // gone or only this channel was refused (see runRemote's retries).
    const failed = (error: Error, connectionLost: boolean) => Object.assign(error, { channelOpened, connectionLost });
    onConnectionClosed = () => finish(() => reject(failed(new Error("the connection closed"), true)));
    deadline = setTimeout(() => {
      onDeadline();
      finish(() => reject(failed(new Error("deadline passed"), true)));
    }, deadlineMs);
    pooled.client.on("close", onConnectionClosed);
    const onChannel = (error: Error | undefined, channel: ClientChannel) => {
      if (error) {
        // The host refused this channel (e.g. sshd's MaxSessions): the connection is fine.
        finish(() => reject(failed(error, false)));
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
      finish(() => reject(failed(error as Error, true)));
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
  // A write is counted once, however many tries it takes; every try is a round trip.
  if (options.writes) countHostEvent(connection.host, "remoteWrites");
  for (let attempt = 1; result === undefined; attempt++) {
    const pooled = await acquireConnection(connection);
    await takeChannelSlot(pooled);
    try {
      countHostEvent(connection.host, "remoteCommands");
      const command = commandLine(connection, script, options.args ?? [], timeoutMs);
      result = await execOnChannel(pooled, command, options.stdin, timeoutMs + LOCAL_DEADLINE_GRACE_MS, () => {
        // The host's own `timeout` did not answer: the connection is as good as dead.
        deadlinePassed = true;
      });
    } catch (caught) {
      const error = caught as Error & { channelOpened?: boolean; connectionLost?: boolean };
      if (error.connectionLost !== false) {
        // A dead connection is never reused.
        pooled.closed = true;
        pooled.client.destroy();
      }
      if (!deadlinePassed && attempt < MAX_ATTEMPTS && retryable(error, options)) {
        debugLog(`${where}: ${options.purpose}: ${error.message}; trying again (${attempt + 1}/${MAX_ATTEMPTS})`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS * attempt));
        continue;
      }
      throw hostError(
        connection.host,
        deadlinePassed ? "timeout" : "unreachable",
        deadlinePassed
          ? `${where}: ${options.purpose}: no answer within ${timeoutMs / 1000} s; the connection was dropped`
          : `${where}: ${options.purpose}: the SSH connection failed: ${error.message}`,
        secrets,
      );
    } finally {
      releaseChannelSlot(pooled);
    }
  }
  recordHostWait(connection.host, started, Date.now(), options.purpose, secrets);
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
