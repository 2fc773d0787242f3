/**
 * The live MQTT side of the test fleet that the verify and record tools tests run against: the stack
 * file, an SSH identity (no sshd ever accepts it), the monitor's password in the environment, the real
 * broker, mirror-1's real mqtt-client.sh and every host's health publications.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { TestBroker } from "./broker";
import { HealthPublishers, MirrorClient } from "./clients";
import { writeTestStack, type TestStack } from "./stack";

export interface LiveFleet {
  stack: TestStack;
  /** A private key file for --identity. */
  identity: string;
  /** What the CLI needs in its environment: the monitor's MQTT password. */
  env: NodeJS.ProcessEnv;
  broker: TestBroker;
  mirror: MirrorClient;
  health: HealthPublishers;
  /** Stops everything started, the broker last. */
  stop(): Promise<void>;
}

/** Writes the test stack into `dir` and starts its broker, mirror client and health publishers; on a failure, stops what it started. */
export async function startLiveFleet(dir: string): Promise<LiveFleet> {
  const stack = await writeTestStack(dir);
  const identity = join(stack.dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", identity]);
  const env = { LYRA_SECRET_MQTT_PASSWORD_MONITOR: stack.passwords.monitor };
  let broker: TestBroker | undefined;
  let mirror: MirrorClient | undefined;
  let health: HealthPublishers | undefined;
  const stop = async () => {
    health?.stop();
    await mirror?.kill();
    await broker?.stop();
  };
  try {
    broker = new TestBroker(stack);
    await broker.start();
    mirror = new MirrorClient(stack, "mirror-1");
    mirror.start();
    health = new HealthPublishers(stack, ["lyra", "mirror-1", "vega"]);
    health.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { stack, identity, env, broker, mirror, health, stop };
}
