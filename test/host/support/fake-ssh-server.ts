/**
 * A small in-process SSH server (ssh2's Server) on a loopback port, for testing the transport
 * without the lab: it runs each exec request with the local `sh` and records what it was asked.
 *
 * Users: "root" runs commands as given; "deploy" stands for a user with passwordless sudo (the
 * `sudo -n -- ` prefix is stripped, since this machine has no sudo); "nopass" stands for a user
 * whose sudo wants a password (answers like sudo -n does).
 */
import { spawn } from "child_process";
import * as net from "net";
import { Server, utils } from "ssh2";
import type { HostConnection } from "../../../src/host/transport/connection";
// Not ssh2's utils.generateKeyPairSync: about one ed25519 key in 256 comes out malformed
// (mscdex/ssh2#1513, seen here as a flaky "Malformed OpenSSH public key").
import { testSshKey } from "../../support/ssh-test-key";

/** A running fake server and what it saw. */
export interface FakeSshServer {
  /** Loopback address it listens on. */
  address: string;
  /** TCP port it listens on. */
  port: number;
  /** Its host key as an OpenSSH public key line, for pinning. */
  hostKey: string;
  /** A private key the server accepts for every user. */
  clientKey: string;
  /** Every command line it was asked to run, in order. */
  commands: string[];
  /** Connections that completed login. */
  logins: number;
  /** The most exec channels open at once. */
  maxConcurrentExecs: number;
  /** Session channels refused because of `maxSessions`. */
  refusedSessions: number;
  /** A connection to this server as the host named `host`, logging in as root with `clientKey`. */
  connectionAs(host: string): HostConnection;
  /** Drops every open connection, as a rebooting host would, and keeps listening. */
  dropConnections(): void;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

/** Starts a fake SSH server on 127.0.0.1 and a free port; `maxSessions` mimics sshd's MaxSessions. */
export async function startFakeSshServer(options: { maxSessions?: number } = {}): Promise<FakeSshServer> {
  const host = testSshKey();
  const client = testSshKey();
  const allowedClientKey = utils.parseKey(client.publicKey);
  if (allowedClientKey instanceof Error) throw allowedClientKey;
  const connections = new Set<{ end(): void }>();
  let openExecs = 0;
  const state = { commands: [] as string[], logins: 0, maxConcurrentExecs: 0, refusedSessions: 0 };

  const server = new Server({ hostKeys: [host.privateKey] }, (connection) => {
    connections.add(connection);
    connection.on("close", () => connections.delete(connection));
    let user = "";
    connection.on("authentication", (ctx) => {
      user = ctx.username;
      if (
        ctx.method === "publickey" &&
        ctx.key.algo === allowedClientKey.type &&
        ctx.key.data.equals(allowedClientKey.getPublicSSH())
      ) {
        if (ctx.signature && ctx.blob && !allowedClientKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) {
          return ctx.reject();
        }
        return ctx.accept();
      }
      ctx.reject(["publickey"]);
    });
    connection.on("ready", () => {
      state.logins++;
      let openSessions = 0;
      connection.on("session", (acceptSession, rejectSession) => {
        if (options.maxSessions !== undefined && openSessions >= options.maxSessions) {
          state.refusedSessions++;
          rejectSession();
          return;
        }
        openSessions++;
        const session = acceptSession();
        session.on("close", () => openSessions--);
        session.on("exec", (acceptExec, _reject, info) => {
          const channel = acceptExec();
          state.commands.push(info.command);
          openExecs++;
          state.maxConcurrentExecs = Math.max(state.maxConcurrentExecs, openExecs);
          let command = info.command;
          if (user !== "root" && command.startsWith("sudo -n -- ")) {
            if (user === "nopass") {
              openExecs--;
              channel.stderr.write("sudo: a password is required\n");
              channel.exit(1);
              channel.end();
              return;
            }
            command = command.slice("sudo -n -- ".length);
          }
          const child = spawn("sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
          channel.pipe(child.stdin);
          child.stdout.pipe(channel, { end: false });
          child.stderr.pipe(channel.stderr, { end: false });
          child.on("close", (code) => {
            openExecs--;
            channel.exit(code ?? 255);
            channel.end();
          });
        });
      });
    });
    connection.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: "127.0.0.1",
    port,
    hostKey: host.publicKey,
    clientKey: client.privateKey,
    connectionAs: (name) => ({
      host: name,
      address: "127.0.0.1",
      port,
      user: "root",
      hostKey: host.publicKey,
      privateKey: client.privateKey,
    }),
    get commands() {
      return state.commands;
    },
    get logins() {
      return state.logins;
    },
    get maxConcurrentExecs() {
      return state.maxConcurrentExecs;
    },
    get refusedSessions() {
      return state.refusedSessions;
    },
    dropConnections: () => {
      for (const connection of connections) connection.end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of connections) connection.end();
        server.close(() => resolve());
      }),
  };
}

/** A loopback TCP listener that counts the connections it accepts and sees them hung up. */
export interface CountingListener {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Resolves once every accepted connection was closed by its client (the client gave up and hung up). */
  hungUp(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A listener on 127.0.0.1 that hands each accepted connection to `serve` and keeps count. `serve`
 * registers with `atListenerClose` what `close()` must stop besides the sockets (timers).
 */
async function startCountingListener(
  serve: (socket: net.Socket, atListenerClose: (stop: () => void) => void) => void,
): Promise<CountingListener> {
  const sockets = new Set<net.Socket>();
  const stops: Array<() => void> = [];
  let accepted = 0;
  let onHangUp: (() => void) | undefined;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      if (sockets.size === 0) onHangUp?.();
    });
    serve(socket, (stop) => stops.push(stop));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return accepted;
    },
    hungUp: () =>
      new Promise<void>((resolve) => {
        if (sockets.size === 0) return resolve();
        onHangUp = resolve;
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const stop of stops) stop();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A listener that accepts and then never says a word (a hung sshd, a blackhole). */
export type SilentListener = CountingListener;

export function startSilentListener(): Promise<SilentListener> {
  // Reads and drops what the client says (its SSH banner): unread data would hold back the
  // 'end', and so the 'close', of a connection the client hangs up.
  return startCountingListener((socket) => socket.resume());
}

/**
 * A relay to an SSH server that passes the server's version line at once and holds everything
 * after it for `holdMs` (forever when absent): sshd on a busy host, which answers and then takes
 * its time over the key exchange and login.
 */
export function startSlowLoginRelay(targetPort: number, holdMs?: number): Promise<CountingListener> {
  return startCountingListener((client, atListenerClose) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    client.pipe(upstream);
    const held: Buffer[] = [];
    let greeted = false;
    let released = false;
    upstream.on("data", (chunk: Buffer) => {
      if (released) return void client.write(chunk);
      if (!greeted) {
        const end = chunk.indexOf("\n");
        if (end < 0) return void client.write(chunk);
        greeted = true;
        client.write(chunk.subarray(0, end + 1));
        chunk = chunk.subarray(end + 1);
        if (holdMs !== undefined) {
          const timer = setTimeout(() => {
            released = true;
            for (const part of held.splice(0)) client.write(part);
          }, holdMs);
          atListenerClose(() => clearTimeout(timer));
        }
      }
      if (chunk.length > 0) held.push(chunk);
    });
    const closeBoth = () => (client.destroy(), upstream.destroy());
    upstream.on("error", closeBoth).on("close", closeBoth);
    client.on("error", closeBoth).on("close", closeBoth);
  });
}

/** A loopback port with nothing listening (bound, then released). */
export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
