/**
 * MQTT to a lab host's broker as the monitor user, for the tests that back retained messages up
 * and bring them back (the native broker's and the Docker-mode container's alike).
 */
import { randomUUID } from "node:crypto";
import { connect, type MqttClient } from "mqtt";
import { monitorUser } from "../../../src/services/mqtt-broker/mosquitto-config";
import { mqttPasswordKey } from "../../../src/services/mqtt-broker/secrets";
import type { Lab } from "../../lab/lab";

const DEADLINE_CONNECT_MS = 10_000;
const DEADLINE_RETAINED_MS = 15_000;

export class LabBroker {
  constructor(
    private readonly lab: Lab,
    private readonly host: string,
    private readonly secrets: Record<string, string>,
    private readonly topic: string,
  ) {}

  /** A connected client, or an error within seconds (MQTT.js' connectAsync may never settle when refused). */
  client(): Promise<MqttClient> {
    return new Promise((resolve, reject) => {
      const client = connect(`mqtt://${this.lab.host(this.host).address}:1883`, {
        username: monitorUser,
        password: this.secrets[mqttPasswordKey(monitorUser)],
        clientId: `lab-broker-${randomUUID().slice(0, 8)}`,
        connectTimeout: 5_000,
        reconnectPeriod: 0,
      });
      const fail = (why: string) => {
        clearTimeout(timer);
        client.end(true);
        reject(new Error(`MQTT to ${this.host}: ${why}`));
      };
      const timer = setTimeout(() => fail(`no CONNACK within ${DEADLINE_CONNECT_MS / 1000} s`), DEADLINE_CONNECT_MS);
      client.once("connect", () => {
        clearTimeout(timer);
        resolve(client);
      });
      client.once("error", (error) => fail(error.message));
      client.once("close", () => fail("connection closed"));
    });
  }

  async publishRetained(payload: string): Promise<void> {
    const client = await this.client();
    try {
      await client.publishAsync(this.topic, payload, { qos: 1, retain: true });
    } finally {
      await client.endAsync();
    }
  }

  /** The retained message on the topic, as a new subscriber gets it; "" when none comes. */
  async retained(): Promise<string> {
    const client = await this.client();
    try {
      const message = new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve(""), DEADLINE_RETAINED_MS);
        client.on("message", (_topic, payload, packet) => {
          if (!packet.retain) return;
          clearTimeout(timer);
          resolve(payload.toString());
        });
      });
      await client.subscribeAsync(this.topic, { qos: 1 });
      return await message;
    } finally {
      await client.endAsync();
    }
  }
}
