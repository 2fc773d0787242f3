/**
 * How the host resources reach a fleet host: the connection spec and its validation.
 */
import { parsePinnedHostKey, PinnedHostKey } from "./host-key";

/** Where and how to reach one fleet host over SSH. */
export interface HostConnection {
  /** Fleet host name ("vega", "mirror-1"): the name every message uses. */
  host: string;
  /** IP address or DNS name sshd listens on. */
  address: string;
  /** sshd's TCP port (usually 22). */
  port: number;
  /** Login user. Anyone but root runs every change through `sudo -n`, so needs passwordless sudo. */
  user: string;
  /**
   * The host's pinned public key, one OpenSSH line: "ssh-ed25519 AAAA... [comment]" (the output of
   * `ssh-keyscan -t ed25519 HOST` without the host name, or /etc/ssh/ssh_host_ed25519_key.pub).
   * Any other key is refused before a single command runs.
   */
  hostKey: string;
  /**
   * Private key in OpenSSH or PEM format. Pass it as a Pulumi secret. When absent, the SSH agent
   * at SSH_AUTH_SOCK is used.
   */
  privateKey?: string;
  /**
   * Deadline for the TCP connect and sshd's first answer (its version line), in milliseconds.
   * Default 10 000. Once sshd has answered, the key exchange and login get
   * {@link LOGIN_DEADLINE_FACTOR} times as long.
   */
  connectTimeoutMs?: number;
}

/** Default for {@link HostConnection.connectTimeoutMs}. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The key exchange and login, after sshd has answered, may take this many connect deadlines. A
 * host whose sshd answers is up, but a busy one (a mirror installing packages on a loaded CPU,
 * logind slow to open the login session) can take longer than the deadline that must keep an
 * unplugged host's error quick. It is still a deadline: a login that stalls fails, it never hangs.
 */
export const LOGIN_DEADLINE_FACTOR = 3;

/** "vega (deploy@127.0.0.12:22)": how messages name a host. */
export function describeHost(connection: Pick<HostConnection, "host" | "user" | "address" | "port">): string {
  return `${connection.host} (${connection.user}@${connection.address}:${connection.port})`;
}

/**
 * Problems with a connection spec, each naming its field under `field` (e.g.
 * "connection.hostKey"). Never quotes the private key.
 */
export function connectionProblems(connection: unknown, field = "connection"): string[] {
  if (typeof connection !== "object" || connection === null) return [`${field} must be an object`];
  const c = connection as Record<string, unknown>;
  const problems: string[] = [];
  const requireText = (name: string) => {
    if (typeof c[name] !== "string" || (c[name] as string).trim() === "") {
      problems.push(`${field}.${name} must be a non-empty string`);
    }
  };
  requireText("host");
  requireText("address");
  requireText("user");
  if (!Number.isInteger(c.port) || (c.port as number) < 1 || (c.port as number) > 65535) {
    problems.push(`${field}.port must be an integer from 1 to 65535, got ${JSON.stringify(c.port)}`);
  }
  if (typeof c.hostKey !== "string" || c.hostKey.trim() === "") {
    problems.push(
      `${field}.hostKey must be the host's pinned OpenSSH public key line; an unpinned host is never trusted`,
    );
  } else {
    const parsed = parsePinnedHostKey(c.hostKey);
    if (typeof parsed === "string") problems.push(`${field}.hostKey: ${parsed}`);
  }
  if (c.privateKey !== undefined && (typeof c.privateKey !== "string" || c.privateKey === "")) {
    problems.push(`${field}.privateKey must be a non-empty string when given`);
  }
  if (
    c.connectTimeoutMs !== undefined &&
    (!Number.isInteger(c.connectTimeoutMs) || (c.connectTimeoutMs as number) <= 0)
  ) {
    problems.push(`${field}.connectTimeoutMs must be a positive integer (milliseconds)`);
  }
  return problems;
}

/** The pinned key of a connection that passed {@link connectionProblems}. */
export function pinnedKeyOf(connection: HostConnection): PinnedHostKey {
  const parsed = parsePinnedHostKey(connection.hostKey);
  if (typeof parsed === "string") throw new Error(`${describeHost(connection)}: connection.hostKey: ${parsed}`);
  return parsed;
}

/** Connections are shared per (host, address, port, user): one login serves every resource of a host. */
export function connectionPoolKey(connection: HostConnection): string {
  return [connection.host, connection.address, connection.port, connection.user].join("\u0000");
}
