/**
 * The broker container from the program's own spec, on a real Docker engine in the lab's vega:
 * the lab fleet in docker mode is planned with the project's render functions, the container's
 * arguments come from the function the program hands to `docker.Container`, and `docker run` gets
 * them through the lab's translation (the provider plugin cannot run here). The image is Debian's
 * mosquitto in eclipse-mosquitto's layout, which `lab.sh up` pushed to the NAS's registry
 * (lib/images.sh); vega pulls it by digest from nas.lab.home.arpa:5000, as the fleet does.
 *
 * Run under the machine's lab lock:
 *   flock /tmp/lyra-lab.lock node --import tsx --test test/lab/docker-broker.test.ts
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connectAsync, type MqttClient } from "mqtt";
import { stringify } from "yaml";
import { containerResourceArgs, containerVolumes } from "../../src/fleet/container-args";
import { shellQuote, shellScriptCommand } from "../../src/host/transport/shell";
import { fleetConfigKey, parseFleet } from "../../src/model/load";
import { planFleet } from "../../src/render";
import type { HostPlan, PlannedContainer } from "../../src/render/plan";
import { contentsHash, resolveSecrets, secretKeysIn } from "../../src/render/secrets";
import { monitorUser } from "../../src/services/mqtt-broker/mosquitto-config";
import { mqttPasswordKey } from "../../src/services/mqtt-broker/secrets";
import type { JsonOutput } from "../../src/verify/format";
import { stackFleet } from "../support/stack-fleet";
import { testSecretValues } from "../support/test-secrets";
import { runCli } from "../verify/support/cli";
import { brokerRepository } from "./broker-image";
import { aptInstall, ensureDockerEngine, pullImageId, waitHealthy } from "./docker-host";
import { dockerRunCommand } from "./docker-run";
import { ensureLab, labImages, labNas, wipeHost, type Lab } from "./lab";

const host = "vega" as const;
const DEADLINE_HEALTHY_MS = 120_000; // the healthcheck's first run comes one interval (30 s) after a start
const DEADLINE_MQTT_MS = 10_000;

let lab: Lab;
let plan: HostPlan;
let spec: PlannedContainer;
let secrets: Record<string, string>;
let stackFile: string;

async function onVega(script: string, what: string, input?: string): Promise<string> {
  const result = await lab.sshExec(host, script, { input });
  if (result.code !== 0) throw new Error(`${host}: ${what} failed (exit ${result.code}):\n${result.stderr.trim()}`);
  return result.stdout;
}

/** The rendered directories and files under each host path the container binds, secrets filled in. */
async function applyMountedFiles(): Promise<Record<string, string>> {
  const sources = spec.mounts.filter((m) => m.kind === "bind").map((m) => m.source);
  const under = (path: string) => sources.some((s) => path === s || path.startsWith(`${s}/`));
  const files = plan.files.filter((f) => under(f.path));
  assert.ok(files.length >= 3, `the broker's config, passwd and acl are under its mounts (${sources.join(", ")})`);
  for (const d of plan.directories.filter((x) => under(x.path)).sort((a, b) => a.path.localeCompare(b.path)))
    await onVega(
      shellScriptCommand('install -d -m "$2" -o "$3" -g "$4" "$1" && chmod "$2" "$1"', [
        d.path,
        d.mode,
        d.owner,
        d.group,
      ]),
      `directory ${d.path}`,
    );
  const resolved: Record<string, string> = {};
  for (const f of files) {
    resolved[f.path] = resolveSecrets(f.content, secrets);
    // Content on stdin only (src/host/transport/shell.ts): it holds password hashes and the monitor's password.
    await onVega(
      shellScriptCommand(
        'umask 077; cat >"$1.lab-new" && chown "$3:$4" "$1.lab-new" && chmod "$2" "$1.lab-new" && mv "$1.lab-new" "$1"',
        [f.path, f.mode, f.owner, f.group],
      ),
      `file ${f.path}`,
      resolved[f.path],
    );
  }
  return resolved;
}

/** A client of the broker through vega's forwarded port, as the monitor user with its fleet password. */
function connectMonitor(): Promise<MqttClient> {
  return connectAsync(`mqtt://${lab.host(host).address}:${plan.ports.find((p) => p.service === "mqtt-broker")!.port}`, {
    username: monitorUser,
    password: secrets[mqttPasswordKey(monitorUser)],
    reconnectPeriod: 0,
    connectTimeout: DEADLINE_MQTT_MS,
    clientId: `lab-docker-${randomUUID().slice(0, 8)}`,
  });
}

/** The first message on `topic` (a retained one arrives on subscribing), within the deadline. */
async function nextMessage(client: MqttClient, topic: string, publish?: () => Promise<unknown>): Promise<string> {
  const message = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no message on ${topic} within ${DEADLINE_MQTT_MS / 1000} s`)),
      DEADLINE_MQTT_MS,
    );
    client.on("message", (t, payload) => {
      if (t !== topic) return;
      clearTimeout(timer);
      resolve(payload.toString());
    });
  });
  await client.subscribeAsync(topic, { qos: 1 });
  await publish?.();
  return message;
}

async function verifyContainer(): Promise<{ code: number | null; result: JsonOutput["results"][number] }> {
  const run = await runCli("verify", [
    ...["--stack-file", stackFile, "--only", "container", "--host", host],
    ...["--identity", lab.clientKeyPath, "--timeout", "10", "--json"],
  ]);
  assert.ok(run.stdout.trim().startsWith("{"), `verify printed no JSON:\n${run.stderr}`);
  const results = (JSON.parse(run.stdout) as JsonOutput).results;
  assert.equal(results.length, 1, JSON.stringify(results));
  return { code: run.code, result: results[0] };
}

/** The broker runbook's command that contains `fragment`, exactly as the plan writes it. */
function runbook(fragment: string): string {
  const commands = plan.recovery.find((r) => r.service === "mqtt-broker")?.commands ?? [];
  const command = commands.find((c) => !c.startsWith("#") && c.includes(fragment));
  assert.ok(command, `the broker's runbook has a command with '${fragment}': ${JSON.stringify(commands)}`);
  return command;
}

describe("the broker container from the program's spec on vega's Docker engine", { timeout: 20 * 60_000 }, () => {
  before(async () => {
    lab = await ensureLab();
    // A broker host in docker mode, from scratch: an earlier test may have left vega running the
    // native broker on the port the container publishes.
    await wipeHost(host);
    // What `lab.sh up` pushed to the NAS's registry and recorded after the push.
    const { reference, digest } = labImages()[brokerRepository];
    assert.equal(
      reference,
      `${labNas.registry}/${brokerRepository}@${digest}`,
      "the broker image is on nas, by digest",
    );
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    // The NAS's registry is plain HTTP: dockerd must be told (until the software part renders
    // /etc/docker/daemon.json for the broker host in docker mode, ensureDockerEngine writes it).
    await ensureDockerEngine(lab, host, [labNas.registry]);

    const raw = stackFleet("lab");
    raw.hosts.vega.services["mqtt-broker"] = { mode: "docker" };
    raw.images["mqtt-broker"] = reference;
    const dir = mkdtempSync(join(tmpdir(), "lyra-lab-docker-"));
    stackFile = join(dir, "Pulumi.labdocker.yaml");
    writeFileSync(stackFile, stringify({ config: { [fleetConfigKey]: raw } }));
    const found = planFleet(parseFleet(raw, stackFile)).find((p) => p.host === host);
    assert.ok(found, "the lab fleet has vega");
    plan = found;
    const container = plan.containers.find((c) => c.name === "mqtt-broker");
    assert.ok(container, "vega in docker mode plans the runbook's mqtt-broker container");
    spec = container;
    assert.equal(spec.image, reference, "the container's image is the pushed digest");
    secrets = testSecretValues([...new Set(plan.files.flatMap((f) => secretKeysIn(f.content)))]);
  });

  after(() => {
    if (stackFile) rmSync(dirname(stackFile), { recursive: true, force: true });
  });

  test("pulled by digest and run from the program's args: healthy, answers MQTT, keeps retained messages across the runbook's restart; verify sees it", async () => {
    await aptInstall(lab, host, plan.packages); // mosquitto-clients, for the runbook's commands
    const contents = await applyMountedFiles();
    const configHash = contentsHash(spec.configFiles.map((path) => contents[path]));

    // No container or image left by an earlier run: the pull below must come from the NAS.
    await onVega(
      `docker rm -f ${shellQuote(spec.name)} >/dev/null 2>&1; ` +
        `id=$(docker image inspect -f '{{.Id}}' ${shellQuote(spec.image)} 2>/dev/null) && docker image rm -f "$id" >/dev/null; ` +
        `! docker image inspect ${shellQuote(spec.image)} >/dev/null 2>&1`,
      "removing an earlier run's container and image",
    );
    // What the provider does: pull by the pinned reference, hand the container the image's ID.
    const imageId = await pullImageId(lab, host, spec.image);
    assert.match(imageId, /^sha256:[0-9a-f]{64}$/);
    const repoDigests = JSON.parse(
      await onVega(`docker image inspect -f '{{json .RepoDigests}}' ${imageId}`, "the image's digests"),
    ) as string[];
    assert.ok(repoDigests.includes(spec.image), `vega pulled it from nas's registry by that digest: ${repoDigests}`);
    const args = containerResourceArgs(spec, imageId, configHash);
    // A clean start: no container or data left by an earlier run of this test.
    await onVega(
      [
        `docker rm -f ${shellQuote(spec.name)} >/dev/null 2>&1 || true`,
        ...containerVolumes(spec).map(
          (v) => `docker volume rm -f ${shellQuote(v)} >/dev/null && docker volume create ${shellQuote(v)} >/dev/null`,
        ),
        `${dockerRunCommand(args)} >/dev/null`,
      ].join(" && "),
      "docker run",
    );
    await waitHealthy(lab, host, spec.name, DEADLINE_HEALTHY_MS);
    // eclipse-mosquitto's user: mosquitto drops to 1883 after reading its config as root.
    assert.match(
      await onVega(`docker exec ${spec.name} grep ^Uid: /proc/1/status`, "uid of mosquitto"),
      /^Uid:\s+1883\s/,
    );
    const labels = JSON.parse(await onVega(`docker inspect -f '{{json .Config.Labels}}' ${spec.name}`, "labels"));
    assert.equal(labels["lyra-fleet.config-sha256"], configHash);
    assert.equal(labels["org.lyra-fleet.service"], "mqtt-broker");

    // A real round trip with the fleet's credentials through vega's forwarded port.
    const retained = `retained-${randomUUID()}`;
    const client = await connectMonitor();
    try {
      const ping = `ping-${randomUUID()}`;
      assert.equal(
        await nextMessage(client, "lyra/test", () => client.publishAsync("lyra/test", ping, { qos: 1 })),
        ping,
      );
      await client.publishAsync("lyra/test", retained, { qos: 1, retain: true });
    } finally {
      await client.endAsync();
    }
    // The runbook's own round trip, on vega with the monitor's options file.
    await onVega(runbook("mosquitto_pub"), "the runbook's mosquitto_pub");

    // The runbook's restart; the retained message comes back from the data volume.
    await onVega(runbook("docker restart"), "docker restart");
    await waitHealthy(lab, host, spec.name, DEADLINE_HEALTHY_MS);
    const again = await connectMonitor();
    try {
      assert.equal(await nextMessage(again, "lyra/test"), retained, "the retained message survived `docker restart`");
    } finally {
      await again.endAsync();
    }
    const logs = await onVega(`${runbook("docker logs")} 2>&1`, "docker logs");
    assert.equal(logs.match(/mosquitto version \S+ running/g)?.length, 2, `two starts in docker logs:\n${logs}`);
    assert.match(await onVega(runbook("docker ps"), "docker ps"), /\(healthy\).*\smqtt-broker$/m);

    const healthy = await verifyContainer();
    assert.equal(healthy.result.ok, true, healthy.result.detail);
    assert.equal(healthy.result.detail, "running, healthy");
    assert.equal(healthy.code, 0);

    await onVega(`docker stop ${spec.name}`, "docker stop");
    const stopped = await verifyContainer();
    assert.equal(stopped.result.ok, false);
    assert.match(stopped.result.detail, /^exited\b/);
    assert.notEqual(stopped.code, 0);
  });
});
