/**
 * A real mosquitto on a loopback address for the verify tests, with a password file and an ACL
 * built from the fleet model's MQTT users (the same users and topics the rendered broker gets).
 * Stopped and started again by PID, like the runbook's broker failure.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { mosquittoPasswordHash } from "../../../src/render/secrets";
import type { TestStack } from "./stack";
import { addresses } from "./stack";

function acl(stack: TestStack): string {
  return stack.fleet.mqttUsers
    .map((u) => {
      const access = new Map<string, string>();
      for (const t of u.publish) access.set(t, "write");
      for (const t of u.subscribe) access.set(t, access.get(t) === "write" ? "readwrite" : "read");
      return [`user ${u.name}`, ...[...access].map(([t, a]) => `topic ${a} ${t}`)].join("\n");
    })
    .join("\n\n");
}

function portOpen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

export class TestBroker {
  private child?: ChildProcess;
  readonly dir: string;

  constructor(private readonly stack: TestStack) {
    this.dir = join(stack.dir, "mosquitto");
    mkdirSync(this.dir, { recursive: true });
    const passwd = stack.fleet.mqttUsers
      .map((u) => `${u.name}:${mosquittoPasswordHash(u.name, stack.passwords[u.name])}\n`)
      .join("");
    writeFileSync(join(this.dir, "passwd"), passwd, { mode: 0o600 });
    writeFileSync(join(this.dir, "acl"), acl(stack) + "\n", { mode: 0o600 });
    writeFileSync(
      join(this.dir, "mosquitto.conf"),
      [
        "per_listener_settings false",
        `listener ${stack.brokerPort} ${addresses.vega}`,
        "allow_anonymous false",
        `password_file ${join(this.dir, "passwd")}`,
        `acl_file ${join(this.dir, "acl")}`,
        // Root keeps root: the files above are private to it.
        "user root",
        "persistence false",
        `log_dest file ${join(this.dir, "mosquitto.log")}`,
        "",
      ].join("\n"),
    );
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn("/usr/sbin/mosquitto", ["-c", join(this.dir, "mosquitto.conf")], { stdio: "ignore" });
    this.child = child;
    const end = Date.now() + 10_000;
    while (!(await portOpen(addresses.vega, this.stack.brokerPort))) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited ${child.exitCode}:\n${this.log()}`);
      if (Date.now() > end) throw new Error(`mosquitto did not listen within 10 s:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the broker we started (by its PID) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await gone;
  }

  /**
   * While the broker is stopped: holds its address and resolves when verify first tries it (its
   * MQTT CONNECT names a `lyra-verify-` client). Every connection is closed at once, as a dead
   * broker's would fail; the mirror's client and the health publishers retry too, so only verify's
   * counts. A test then starts the broker only after verify's first run found it down, however
   * long verify took to start.
   */
  async verifyTriedWhileDown(deadlineMs = 60_000): Promise<void> {
    if (this.running) throw new Error("verifyTriedWhileDown: the broker is running");
    const sockets = new Set<Socket>();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.stack.brokerPort, addresses.vega, resolve);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`verify did not try the broker within ${deadlineMs / 1000} s`)),
          deadlineMs,
        );
        server.on("connection", (socket) => {
          sockets.add(socket);
          socket.once("data", (connect) => {
            socket.destroy();
            if (!connect.includes("lyra-verify-")) return;
            clearTimeout(timer);
            resolve();
          });
          socket.once("error", () => socket.destroy());
        });
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, "mosquitto.log"), "utf8");
    } catch {
      return "(no log)";
    }
  }
}
