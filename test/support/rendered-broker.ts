/**
 * Debian's mosquitto running a broker host's rendered mosquitto.conf, passwd and ACL (test
 * passwords, paths moved to a temp dir, listener on a free loopback port) as an unprivileged user,
 * as test/services/mqtt-broker/tools/mosquitto.test.ts runs it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { HostPlan } from "../../src/render/plan";
import { resolveSecrets, secretKeysIn } from "../../src/render/secrets";
import { brokerPaths, monitorUser } from "../../src/services/mqtt-broker/mosquitto-config";
import { mqttPasswordKey } from "../../src/services/mqtt-broker/secrets";
import { freePort } from "./free-port";
import { testSecretValues } from "./test-secrets";

const nobody = 65534;

// Function-valued fields, not methods: tests hand `broker.log` around as a callback.
export interface RenderedBroker {
  port: number;
  /** The test password of an MQTT user. */
  password: (user: string) => string;
  /** What mosquitto wrote to stderr, across restarts. */
  log: () => string;
  /** Stops mosquitto (SIGTERM) and keeps its files and port, for `start`. */
  halt: () => Promise<void>;
  /** Starts it again on the same port and files; resolves once the monitor is let in. */
  start: () => Promise<void>;
  /** Stops it and removes its files. */
  stop: () => Promise<void>;
}

/** Replace the value of each `key` line of mosquitto.conf; each key must be there exactly once. */
function rewriteConf(conf: string, values: Record<string, string>): string {
  let out = conf;
  for (const [key, value] of Object.entries(values)) {
    const pattern = new RegExp(`^${key} .*$`, "gm");
    if (out.match(pattern)?.length !== 1) throw new Error(`expected one '${key}' line in the rendered mosquitto.conf`);
    out = out.replace(pattern, `${key} ${value}`);
  }
  return out;
}

/**
 * Starts the broker of `plan` and waits until the monitor user reads $SYS through the ACL; throws
 * with mosquitto's log if it does not. Used by every tools test that needs a broker, so each runs
 * against the ACL and passwd the plan really renders.
 */
export async function startRenderedBroker(plan: HostPlan): Promise<RenderedBroker> {
  const file = (path: string) => {
    const f = plan.files.find((x) => x.path === path);
    if (!f) throw new Error(`${plan.host} has no ${path}`);
    return f.content;
  };
  const secrets = testSecretValues([
    ...new Set([brokerPaths.passwd, brokerPaths.acl].flatMap((p) => secretKeysIn(file(p)))),
  ]);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "lyra-generated-broker-"));
  const conf = rewriteConf(file(brokerPaths.conf), {
    listener: `${port} 127.0.0.1`,
    password_file: join(dir, "passwd"),
    acl_file: join(dir, "acl"),
    persistence_location: `${join(dir, "data")}/`,
  });
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "mosquitto.conf"), conf, { mode: 0o644 });
  writeFileSync(join(dir, "passwd"), resolveSecrets(file(brokerPaths.passwd), secrets), { mode: 0o600 });
  writeFileSync(join(dir, "acl"), resolveSecrets(file(brokerPaths.acl), secrets), { mode: 0o600 });
  for (const path of [dir, join(dir, "data"), join(dir, "passwd"), join(dir, "acl")]) chownSync(path, nobody, nobody);
  const password = (user: string) => secrets[mqttPasswordKey(user)];

  let log = "";
  let broker: ChildProcess | undefined;
  const halt = async () => {
    const running = broker;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGTERM");
    await Promise.race([exited, sleep(5000).then(() => running.kill("SIGKILL"))]);
  };
  const stop = async () => {
    await halt();
    rmSync(dir, { recursive: true, force: true });
  };
  const start = async () => {
    const child = spawn("/usr/sbin/mosquitto", ["-c", join(dir, "mosquitto.conf")], {
      uid: nobody,
      gid: nobody,
      stdio: ["ignore", "ignore", "pipe"],
    });
    broker = child;
    child.stderr!.on("data", (chunk) => (log += chunk));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}:\n${log}`);
      // The monitor reading $SYS through the ACL: the broker is up and the rendered files work.
      const sub = spawnSync(
        "mosquitto_sub",
        ["-h", "127.0.0.1", "-p", String(port), "-u", monitorUser, "-P", password(monitorUser)].concat([
          "-t",
          "$SYS/broker/uptime",
          "-C",
          "1",
          "-W",
          "2",
        ]),
        { encoding: "utf8", timeout: 5000 },
      );
      if (sub.status === 0) return;
      await sleep(100);
    }
    throw new Error(`mosquitto did not answer the monitor within 10 s:\n${log}`);
  };
  try {
    await start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, password, log: () => log, halt, start, stop };
}
