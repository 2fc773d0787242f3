/**
 * A small fleet for the verify tests, written as a real stack file: vega runs the broker natively
 * on a loopback address and a free port, mirror-1 heartbeats every second, lyra sits on a loopback
 * address where nothing listens (the unreachable host).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadStackFile } from "../../../src/model/load";
import type { FleetModel } from "../../../src/model/fleet";
import { freePort } from "../../support/free-port";

export const addresses = { vega: "127.0.0.61", "mirror-1": "127.0.0.62", lyra: "127.0.0.64" } as const;

// Example ed25519 keys (from the home stack): nothing here is ever reached over SSH successfully.
const keys = [
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6F+HxW0y29Bb+4humsTv/2ISsHzgNtMsj/mRrNgJHW",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILYeNAdHCecmZFFGJPyxZC753XNTzNJ+VekGV3WUNQGi",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBj73L0VaJqdjXeUQymXt9XdRsDn5Ddg/5e05YnW3qOD",
];

export interface TestStack {
  dir: string;
  file: string;
  fleet: FleetModel;
  brokerPort: number;
  /** A password per MQTT user, random per run. */
  passwords: Record<string, string>;
}

export async function writeTestStack(dir: string): Promise<TestStack> {
  mkdirSync(dir, { recursive: true });
  const brokerPort = await freePort(addresses.vega);
  const yaml = `config:
  lyra-fleet:fleet:
    site:
      domain: test.arpa
      timezone: Europe/Berlin
      ntpServers: [ntp.test.arpa]
      nas: { host: nas.test.arpa, path: /backups, artifacts: { url: "http://nas.test.arpa:8081", path: /artifacts } }
    hosts:
      lyra:
        address: ${addresses.lyra}
        role: lyra
        ssh: { user: root, hostKey: ${keys[0]} }
        services:
          lyra-orchestrator: { gpu: false }
      vega:
        address: ${addresses.vega}
        role: vega
        ssh: { user: root, hostKey: ${keys[1]} }
        services:
          mqtt-broker: { mode: native, port: ${brokerPort} }
      mirror-1:
        address: ${addresses["mirror-1"]}
        role: mirror
        ssh: { user: pi, hostKey: ${keys[2]} }
        services:
          mqtt-client: { heartbeatSeconds: 1 }
    versions: { lyra-orchestrator: 1.4.2, qdrant: 1.12.4, node-red: 4.1.8, stt-service: 0.9.1, lyra-client: 1.4.2 }
    images:
      mqtt-broker: eclipse-mosquitto:2.0.20@sha256:21421af7b32bf9ce508e9090c8eb13bb81f410ca778dc205506180a6f862d0eb
    artifacts:
      lyra-orchestrator: { sha256: "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", file: lyra-orchestrator-wheels.tar.gz }
      qdrant: { sha256: "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", file: qdrant.tar.gz }
      node-red: { sha256: "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", file: node-red.tar.gz }
      stt-service: { sha256: "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", file: stt-service.tar.gz }
      lyra-client: { sha256: "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", file: lyra-client.tar.gz }
`;
  const file = join(dir, "Pulumi.verifytest.yaml");
  writeFileSync(file, yaml);
  const fleet = loadStackFile(file);
  const passwords = Object.fromEntries(
    fleet.mqttUsers.map((u) => [u.name, `pw-${u.name}-${randomBytes(9).toString("base64url")}`]),
  );
  return { dir, file, fleet, brokerPort, passwords };
}
