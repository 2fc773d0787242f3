/**
 * Opening one SSH connection: TCP connect, handshake with the pinned host key, login; within two
 * deadlines (sshd's first answer, then the login), every failure turned into a HostError that
 * names the host.
 */
import type * as net from "net";
import type { Client, ConnectConfig } from "ssh2";
import { DEFAULT_CONNECT_TIMEOUT_MS, describeHost, HostConnection, LOGIN_DEADLINE_FACTOR } from "./connection";
import { countHostEvent } from "./counters";
import { hostError, type HostError } from "./errors";
import { hostKeyAlgorithmsFor, PinnedHostKey, sha256Fingerprint } from "./host-key";
import { debugLog } from "./log";

/** An open, verified, logged-in connection and its bookkeeping (see ssh-pool.ts). */
export interface OpenConnection {
  client: Client;
  socket: net.Socket;
  /** The key blob the host presented and we accepted. */
  presentedKey: Buffer;
  activeChannels: number;
  waitingForChannel: Array<() => void>;
  idleTimer?: NodeJS.Timeout;
  closed: boolean;
}

/** The refusal of a host that presented another key than the pinned one. */
/** The short name OpenSSH's tools use for a key type ("ed25519" for "ssh-ed25519"). */
function keyKind(type: string): string {
  if (type === "ssh-rsa") return "rsa";
  return type.startsWith("ecdsa") ? "ecdsa" : "ed25519";
}

export function hostKeyMismatch(connection: HostConnection, pin: PinnedHostKey, presented: Buffer): HostError {
  return hostError(
    connection.host,
    "host-key",
    `${describeHost(connection)}: host key mismatch: pinned ${pin.fingerprint} (${pin.type}) but the host ` +
      `presented ${sha256Fingerprint(presented)}. Refused before running any command; nothing was changed. ` +
      `If the host was re-installed, compare ${sha256Fingerprint(presented)} with \`ssh-keygen -lf ` +
      `/etc/ssh/ssh_host_${keyKind(pin.type)}_key.pub\` on its console, then pin the new key as ` +
      `hosts.${connection.host}.ssh.hostKey in the stack file ` +
      `(\`ssh-keyscan -t ${keyKind(pin.type)} -p ${connection.port} ${connection.address}\` prints the line to pin).`,
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

/**
 * Opens, verifies and logs in one connection. The TCP connect and sshd's first bytes must come
 * within the connect deadline: an unplugged host or a listener that never speaks fails in seconds.
 * The key exchange and login that follow get LOGIN_DEADLINE_FACTOR times as long.
 */
export function openConnection(
  connection: HostConnection,
  pin: PinnedHostKey,
  onClose: (closed: OpenConnection) => void,
): Promise<OpenConnection> {
  // Required here, not at the top: Pulumi serializes the providers' closures, and a require inside
  // a function is emitted as is instead of being captured.
  const { Client: SshClient } = require("ssh2") as typeof import("ssh2");
  const netModule = require("net") as typeof import("net");
  const where = describeHost(connection);
  const timeoutMs = connection.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const agent = connection.privateKey ? undefined : process.env.SSH_AUTH_SOCK;
  if (!connection.privateKey && !agent) {
    return Promise.reject(
      hostError(
        connection.host,
        "auth",
        `${where}: no privateKey given and SSH_AUTH_SOCK is not set; nothing was attempted`,
      ),
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
    const failAfter = (ms: number, message: string) => {
      clearTimeout(deadline);
      deadline = setTimeout(() => fail(hostError(connection.host, "unreachable", message)), ms);
    };
    failAfter(
      timeoutMs,
      `${where}: no SSH answer within ${timeoutMs / 1000} s (TCP connect and sshd's greeting); nothing was changed`,
    );
    // Any byte from the host is sshd's version line: from here on, the login deadline.
    socket.once("data", () => {
      if (settled) return;
      const loginMs = timeoutMs * LOGIN_DEADLINE_FACTOR;
      failAfter(
        loginMs,
        `${where}: sshd answered, but the key exchange and login did not finish within ${loginMs / 1000} s ` +
          `(is the host overloaded?); nothing was changed`,
      );
    });
    const pooled: OpenConnection = {
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
      clearTimeout(pooled.idleTimer);
      onClose(pooled);
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
      readyTimeout: 0, // our own deadlines above cover connect, handshake and login
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
