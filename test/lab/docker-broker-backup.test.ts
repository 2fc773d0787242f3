/**
 * The Docker-mode broker's persistence, backed up and restored on the lab: vega in docker mode is
 * converged by HostState from the project's own render functions (the engine from Debian's
 * docker.io, daemon.json, the backup's files and units); the `mqtt-broker` container is run from
 * the exact arguments the program hands `docker.Container` (docker-run.ts: the provider plugin
 * cannot run here), with its named data volume as the program's `docker.Volume` makes it. A
 * retained message is backed up by `lyra-backup-mqtt-broker` (mosquitto told to write
 * mosquitto.db first, `docker kill -s USR1` from inside the unit's sandbox) to the NAS; vega is
 * wiped (its /var/lib/docker with it); the next converge restores the volume's data before the
 * container is created, and the new container serves the retained message.
 *
 * Run under the machine's lab lock:
 *   flock /tmp/lyra-lab.lock node --import tsx --test test/lab/docker-broker-backup.test.ts
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { containerResourceArgs, containerVolumes } from "../../src/fleet/container-args";
import type { HostConnection } from "../../src/host/transport/connection";
import { shellQuote } from "../../src/host/transport/shell";
import { closeAllHostConnections } from "../../src/host/transport/ssh";
import type { PlannedContainer } from "../../src/render/plan";
import { contentsHash, resolveSecrets } from "../../src/render/secrets";
import { brokerDataPath } from "../../src/services/mqtt-broker/render";
import { backupNow, type FleetEdit, LabConverger, snapshotsIfAny, snapshotsOnNas } from "../host/support/lab-backup";
import { LabBroker } from "../host/support/lab-broker";
import { hostPlan, labFleet } from "../host/support/lab-plan";
import { labConnection } from "../host/support/lab";
import { brokerRepository } from "./broker-image";
import { pullImageId, waitHealthy } from "./docker-host";
import { dockerRunCommand } from "./docker-run";
import { ensureLab, labImages, wipeHost, type Lab } from "./lab";
import { labSecrets } from "./pulumi-lab";

const HOST = "vega";
// config-source stays: mirror-1 syncs from it (lab-backup.test.ts keeps the same services).
const SERVICES = ["backup", "config-source", "mqtt-broker", "node-exporter"];
const DATASET = "mqtt-broker";
const TOPIC = "lyra/test";
const DEADLINE_HEALTHY_MS = 120_000; // the healthcheck's first run comes one interval (30 s) after a start
/** eclipse-mosquitto's user, which the container's mosquitto runs as. */
const MOSQUITTO_UID = "1883";

/** vega's broker in docker mode, its image the one `lab.sh up` pushed to the NAS's registry. */
const dockerMode: FleetEdit = (raw) => {
  raw.hosts[HOST].services["mqtt-broker"] = { mode: "docker" };
  raw.images["mqtt-broker"] = labImages()[brokerRepository].reference;
};

let lab: Lab;
let connection: HostConnection;
let secrets: Record<string, string>;
let vega: LabConverger;
let broker: LabBroker;
let spec: PlannedContainer;
let configHash: string;

async function onVega(script: string, what: string): Promise<string> {
  const result = await lab.sshExec(HOST, script, { timeoutMs: 300_000 });
  if (result.code !== 0) throw new Error(`${HOST}: ${what} failed (exit ${result.code}):\n${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** What a unit's last run said. */
const journal = (unit: string) =>
  onVega(
    `journalctl -b --no-pager -o cat _SYSTEMD_INVOCATION_ID=$(systemctl show -p InvocationID --value ${unit})`,
    `journal of ${unit}`,
  );

/**
 * What the Docker provider does for the program's Container: the image pulled by its pinned
 * digest, the named volume made if missing (docker.Volume; an existing one keeps its data), the
 * container created from containerResourceArgs; then waits until it is healthy.
 */
async function runContainer(): Promise<void> {
  const imageId = await pullImageId(lab, HOST, spec.image);
  await onVega(
    [
      `docker rm -f ${shellQuote(spec.name)} >/dev/null 2>&1 || true`,
      ...containerVolumes(spec).map((v) => `docker volume create ${shellQuote(v)} >/dev/null`),
      `${dockerRunCommand(containerResourceArgs(spec, imageId, configHash))} >/dev/null`,
    ].join(" && "),
    "docker run",
  );
  await waitHealthy(lab, HOST, spec.name, DEADLINE_HEALTHY_MS);
}

before(async () => {
  lab = await ensureLab();
  // A re-flashed vega: no native broker on the port the container publishes, no engine yet.
  await wipeHost(HOST);
  connection = labConnection(lab, HOST);
  secrets = labSecrets();
  vega = new LabConverger(HOST, SERVICES, connection, secrets);
  broker = new LabBroker(lab, HOST, secrets, TOPIC);
  const plan = hostPlan(labFleet(HOST, SERVICES, dockerMode), HOST);
  const container = plan.containers.find((c) => c.name === "mqtt-broker");
  assert.ok(container, "vega in docker mode plans the runbook's mqtt-broker container");
  spec = container;
  // The label the program puts on the container: one hash over its config files, secrets filled in.
  const content = (path: string) => resolveSecrets(plan.files.find((f) => f.path === path)!.content, secrets);
  configHash = contentsHash(spec.configFiles.map(content));
});

after(async () => {
  await closeAllHostConnections();
  // The next user of the lab finds vega re-flashed, not a container on the native broker's port.
  await wipeHost(HOST);
});

test("the Docker-mode broker's retained messages are backed up to the NAS and come back on a wiped vega before the container starts", async () => {
  const data = brokerDataPath("docker");
  // A first deploy: the engine, then the restore (whatever the NAS has), then the container.
  await vega.converge(dockerMode);
  assert.equal(await onVega("systemctl is-active docker.service", "docker.service"), "active");
  await runContainer();

  const proof = `docker-backup-${randomUUID()}`;
  await broker.publishRetained(proof);
  // The NAS may have no repository yet: the backup's `restic init` makes it.
  const before = new Set((await snapshotsIfAny(lab, secrets, HOST, DATASET)).map((s) => s.id));
  const backup = await backupNow(lab, HOST, DATASET, 300_000);
  assert.equal(backup.code, 0, `the backup failed:\n${await journal("lyra-backup-mqtt-broker.service")}`);
  // By id, not by count: the retention keeps one snapshot a day, so a second one today replaces the first.
  const added = (await snapshotsOnNas(lab, secrets, HOST, DATASET)).filter((s) => !before.has(s.id));
  assert.equal(added.length, 1, "one new snapshot of the broker's volume on the NAS");
  console.log(`# docker broker: backed up ${await onVega(`du -sb ${data}/ | cut -f1`, "du")} bytes of ${data}`);

  // Re-flashed: engine, volume and container are gone with the host's layer.
  await wipeHost(HOST);
  vega.forget();
  await vega.converge(dockerMode);
  const restore = await journal("lyra-restore-mqtt-broker.service");
  assert.match(restore, /restored .* from snapshot/, restore);
  assert.equal(
    await onVega(`stat -c %u ${data}/mosquitto.db`, "the restored mosquitto.db"),
    MOSQUITTO_UID,
    "the restored mosquitto.db belongs to the container's mosquitto",
  );
  await runContainer();
  assert.equal(await broker.retained(), proof, "the retained message came back from the NAS into the new container");
});
