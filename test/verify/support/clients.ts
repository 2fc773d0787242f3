/**
 * The fleet's MQTT publishers, for real, against the test broker:
 * - a mirror's presence: the exact mqtt-client.sh the mirrors get (imported from its renderer),
 *   restarted 1 s after it exits the way its unit's Restart=always does;
 * - each host's health: mosquitto_pub publishing the health publisher's JSON, retained, every second.
 * Credentials go through mosquitto's options files ($XDG_CONFIG_HOME), as on the hosts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mqttClientEnvironment, mqttClientScript } from "../../../src/services/mqtt-client/render";
import type { TestStack } from "./stack";
import { addresses } from "./stack";

function optionsDir(stack: TestStack, user: string): string {
  const dir = join(stack.dir, "clients", user);
  mkdirSync(join(dir, "run"), { recursive: true });
  const options = `-h ${addresses.vega}\n-p ${stack.brokerPort}\n-u ${user}\n-P ${stack.passwords[user]}\n`;
  writeFileSync(join(dir, "mosquitto_pub"), options, { mode: 0o600 });
  return dir;
}

/** The mirror's mqtt-client.sh, supervised like its unit. `kill()` is a power cut: no clean disconnect. */
export class MirrorClient {
  private child?: ChildProcess;
  private stopped = false;
  private restartTimer?: NodeJS.Timeout;
  private readonly dir: string;
  readonly log: string[] = [];

  constructor(
    private readonly stack: TestStack,
    readonly mirror: string,
  ) {
    this.dir = optionsDir(stack, mirror);
    writeFileSync(join(this.dir, "mqtt-client.sh"), mqttClientScript, { mode: 0o755 });
  }

  /** The unit's rendered EnvironmentFile, but the broker at its loopback address (not its fqdn). */
  private environment(): Record<string, string> {
    const host = this.stack.fleet.hosts.find((h) => h.name === this.mirror)!;
    const settings = host.services["mqtt-client"]!;
    const env = mqttClientEnvironment({ fleet: this.stack.fleet, host, settings });
    return { ...env, MQTT_HOST: addresses.vega, MQTT_PORT: String(this.stack.brokerPort) };
  }

  start(): void {
    this.stopped = false;
    const child = spawn("/bin/sh", [join(this.dir, "mqtt-client.sh")], {
      // Its own process group, so kill() reaches mosquitto_pub and the heartbeat clock too.
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        PATH: "/usr/bin:/bin",
        ...this.environment(),
        RUNTIME_DIRECTORY: join(this.dir, "run"),
        XDG_CONFIG_HOME: this.dir,
      },
    });
    this.child = child;
    child.stderr!.setEncoding("utf8").on("data", (s: string) => this.log.push(s));
    child.once("exit", () => {
      if (!this.stopped) this.restartTimer = setTimeout(() => this.start(), 1000);
    });
  }

  /** SIGKILL to the whole group: the broker sees the connection drop and publishes the will. */
  async kill(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid!, "SIGKILL");
    await gone;
  }
}

/** Retained health messages in the health publisher's format, every second, for the given hosts. */
export class HealthPublishers {
  private timer?: NodeJS.Timeout;
  private readonly running = new Set<ChildProcess>();
  private readonly dirs: Record<string, string>;

  constructor(
    stack: TestStack,
    readonly hosts: string[],
  ) {
    this.dirs = Object.fromEntries(hosts.map((h) => [h, optionsDir(stack, h)]));
  }

  start(): void {
    const publish = () => {
      for (const host of this.hosts) {
        const payload = JSON.stringify({ host, time: Math.floor(Date.now() / 1000), ok: true, units: {} });
        const child = spawn("/usr/bin/mosquitto_pub", ["-t", `lyra/health/${host}`, "-r", "-q", "1", "-m", payload], {
          stdio: "ignore",
          env: { XDG_CONFIG_HOME: this.dirs[host] },
        });
        this.running.add(child);
        child.once("exit", () => this.running.delete(child));
      }
    };
    publish();
    this.timer = setInterval(publish, 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const child of this.running) child.kill("SIGKILL");
  }
}
