/**
 * One MQTT connection per verify run, as the monitor user, shared by every MQTT check. When the
 * broker is down every MQTT check fails with the same cause, which names the broker, so the summary
 * can say "broker unreachable: vega:1883 (connection refused)" once instead of N mysteries.
 */
import { connect, type IPublishPacket, type MqttClient } from "mqtt";
import type { FailureCause } from "./types";

export type MessageListener = (payload: Buffer, retained: boolean) => void;

/** A check failed because of something it depends on; carries the shared cause. */
export class DependencyFailure extends Error {
  constructor(readonly failure: FailureCause) {
    super(failure.message);
    this.name = "DependencyFailure";
  }
}

const socketReasons: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  ENOTFOUND: "name not found",
  EAI_AGAIN: "name lookup failed",
};

export interface BrokerTarget {
  /** Fleet host name, for messages ("vega:1883"). */
  host: string;
  address: string;
  port: number;
  user: string;
  password: string;
  /** The secret key holding the password, for the "check the secret" hint. */
  passwordKey: string;
}

export class BrokerSession {
  private readonly client: MqttClient;
  private readonly connected: Promise<MqttClient>;
  private readonly listeners = new Map<string, Set<MessageListener>>();
  private lost?: DependencyFailure;
  private readonly lostPromise: Promise<never>;

  constructor(target: BrokerTarget, connectTimeoutMs: number) {
    const where = `${target.host}:${target.port}`;
    const fail = (reason: string, refused = false) =>
      new DependencyFailure({
        kind: "broker",
        message: refused
          ? `broker refused the login: ${where} (${reason})`
          : `broker unreachable: ${where} (${reason})`,
      });
    this.client = connect({
      host: target.address,
      port: target.port,
      protocol: "mqtt",
      username: target.user,
      password: target.password,
      clientId: `lyra-verify-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      clean: true,
      // A verify run is a snapshot: never reconnect behind the checks' backs.
      reconnectPeriod: 0,
      connectTimeout: connectTimeoutMs,
      protocolVersion: 4,
    });
    this.connected = new Promise((resolve, reject) => {
      this.client.once("connect", () => resolve(this.client));
      this.client.on("error", (err: Error & { code?: string | number }) => {
        const code = err.code;
        let failure: DependencyFailure;
        if (typeof code === "number" && (code === 4 || code === 5 || code === 134 || code === 135)) {
          failure = fail(
            `${code === 4 || code === 134 ? "bad user name or password" : "not authorized"}; check the ${target.passwordKey} secret`,
            true,
          );
        } else if (typeof code === "string" && socketReasons[code]) {
          failure = fail(socketReasons[code]);
        } else if (/connack timeout/i.test(err.message)) {
          failure = fail(`no answer within ${Math.round(connectTimeoutMs / 1000)} s`);
        } else {
          failure = fail(err.message.replace(target.password, "[secret]"));
        }
        this.lost ??= failure;
        reject(failure);
      });
      this.client.on("close", () => {
        this.lost ??= fail("connection closed");
        reject(this.lost);
      });
    });
    this.connected.catch(() => {}); // observed by the checks that await it
    // One promise for every waiting check (a listener per check would trip Node's listener limit).
    this.lostPromise = new Promise<never>((_resolve, reject) =>
      this.client.once("close", () => reject(this.lost ?? fail("connection closed"))),
    );
    this.lostPromise.catch(() => {});
    this.client.on("message", (topic: string, payload: Buffer, packet: IPublishPacket) => {
      for (const listener of this.listeners.get(topic) ?? []) listener(payload, packet.retain === true);
    });
  }

  /** The connected client, or the broker's failure. */
  async ready(): Promise<MqttClient> {
    if (this.lost) throw this.lost;
    return this.connected;
  }

  /** Rejects when the connection is lost, so a waiting check fails with the broker as its cause. */
  whenLost(): Promise<never> {
    return this.lostPromise;
  }

  /**
   * Listens on an exact topic (the broker also hands over its retained message). Returns the
   * function that stops listening. Several checks may share a topic.
   */
  async listen(topic: string, listener: MessageListener): Promise<() => void> {
    const client = await this.ready();
    let set = this.listeners.get(topic);
    const first = !set;
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener);
    if (first) {
      const granted = await client.subscribeAsync(topic, { qos: 1 });
      if (granted.some((g) => g.qos === 128)) throw new Error(`the broker refused the subscription to ${topic}`);
    } else {
      // Re-subscribing makes the broker send the retained message again, for this listener too.
      await client.subscribeAsync(topic, { qos: 1 });
    }
    // The subscription itself stays until the run closes the session: unsubscribing while another
    // check subscribes to the same topic could race and silence it.
    return () => void set!.delete(listener);
  }

  async publish(topic: string, payload: string): Promise<void> {
    const client = await this.ready();
    await client.publishAsync(topic, payload, { qos: 1, retain: false });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.client.end(true, {}, () => resolve()));
  }
}
