/**
 * Lab: the backups on real hosts, to the lab's NAS over SFTP. vega's items come from the project's
 * own render functions for the lab stack (stacks/Pulumi.lab.yaml, backups on), filtered to the
 * services that need no app artifact: the broker (native mosquitto, Debian's), backup and node
 * exporter (the metrics' textfile directory). HostState converges them as the program would.
 *
 * Proven on systemd 252 with real restic and ssh inside the units' sandbox: a first deploy finds
 * no repository and starts the broker; `systemctl start lyra-backup-mqtt-broker` makes a snapshot
 * in nas's repository (read back from here over SFTP with the NAS account); the metric and verify's
 * age check pass; a re-flashed vega gets its retained message back before mosquitto first starts;
 * a restart of the restore unit overwrites nothing; with the NAS unplugged, an empty broker does
 * not start and the converge fails naming the restore; a wrong NAS host key is refused.
 *
 * Run under the machine's lab lock:
 *   flock /tmp/lyra-lab.lock node --import tsx --test test/host/lab-backup.test.ts
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { HostConnection } from "../../src/host/transport/connection";
import { closeAllHostConnections } from "../../src/host/transport/ssh";
import type { HealthCheck } from "../../src/render/plan";
import { commandCheck } from "../../src/verify/check-command";
import type { RunContext } from "../../src/verify/context";
import { labNas } from "../lab/lab";
import { labSecrets } from "../lab/pulumi-lab";
import { LabBroker } from "./support/lab-broker";
import { backupNow, LabConverger, nasPlugged, nasRepository, resticOnNas, snapshotsOnNas } from "./support/lab-backup";
import { hostPlan, labFleet } from "./support/lab-plan";
import { type Lab, ensureLab, labConnection, onHost, wipeHost } from "./support/lab";

const HOST = "vega";
// config-source stays: mirror-1 syncs from it (and its data set needs no artifact either).
const SERVICES = ["backup", "config-source", "mqtt-broker", "node-exporter"];
const DATASET = "mqtt-broker";
const BACKUP = `lyra-backup-${DATASET}.service`;
const RESTORE = `lyra-restore-${DATASET}.service`;
const BROKER = "mqtt-broker.service";
const TOPIC = "lyra/test";

let lab: Lab;
let connection: HostConnection;
let secrets: Record<string, string>;
let vega: LabConverger;
let broker: LabBroker;

const onVega = (command: string) => onHost(lab, HOST, command);
/** What the unit's last run said. */
const journal = (unit: string) =>
  onVega(`journalctl -b --no-pager -o cat _SYSTEMD_INVOCATION_ID=$(systemctl show -p InvocationID --value ${unit})`);
const snapshots = () => snapshotsOnNas(lab, secrets, HOST, DATASET);

/** A backup run that begins now; when it fails, the unit's journal in the error. */
async function backup(): Promise<void> {
  const result = await backupNow(lab, HOST, DATASET);
  if (result.code !== 0) assert.fail(`systemctl start ${BACKUP}: exit ${result.code}\n${await journal(BACKUP)}`);
}

/** The broker answers MQTT (it may take a moment after its unit turned active). */
async function brokerUp(): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await (await broker.client()).endAsync();
      return;
    } catch (error) {
      if (i >= 20) throw error;
      await sleep(500);
    }
  }
}

const verifyContext = (): RunContext =>
  ({
    fleet: labFleet(HOST, SERVICES),
    options: { timeoutMs: 30_000 },
    broker: () => assert.fail("no broker session"),
    connection: () => connection,
  }) as RunContext;

async function verify(check: HealthCheck) {
  assert.equal(check.kind, "command");
  return commandCheck(
    check as Extract<HealthCheck, { kind: "command" }>,
    { host: HOST, check, via: "ssh" },
    verifyContext(),
    new AbortController().signal,
  );
}

const ageCheck = () =>
  hostPlan(labFleet(HOST, SERVICES), HOST).checks.find((c) => c.name.includes(`last backup of ${DATASET} good`))!;

before(async () => {
  lab = await ensureLab();
  connection = labConnection(lab, HOST, "deploy");
  secrets = labSecrets();
  vega = new LabConverger(HOST, SERVICES, connection, secrets);
  broker = new LabBroker(lab, HOST, secrets, TOPIC);
  await nasPlugged(lab, true);
  // A re-flashed vega and a NAS without earlier backups: the first deploy. The host first, so that
  // no backup a converged vega still runs lands in the emptied repository.
  await wipeHost(HOST);
  await onHost(lab, labNas.host, `rm -rf ${nasRepository}`);
});

after(async () => {
  await nasPlugged(lab, true);
  // Later tests start from a NAS without this file's backups (its retained test message included).
  await onHost(lab, labNas.host, `rm -rf ${nasRepository}`);
  await closeAllHostConnections();
});

describe(`lab: backups of ${HOST} to the NAS over SFTP`, () => {
  let first = "";

  it("a first deploy finds no repository, restores nothing and starts the broker", async () => {
    await vega.converge();
    assert.equal((await onVega(`systemctl is-active ${RESTORE} ${BROKER}`)).trim(), "active\nactive");
    assert.match(
      await journal(RESTORE),
      /no repository at sftp:lyra@nas\.lab\.home\.arpa:\/srv\/lyra-backups\/restic yet/,
    );
    const check = await verify(ageCheck());
    assert.equal(check.ok, false, "no good backup yet");
    assert.match(check.detail, /no good backup of mqtt-broker yet/);
  });

  it("systemctl start lyra-backup-mqtt-broker puts a snapshot with the retained message on the NAS", async () => {
    await brokerUp();
    first = `before-backup-${randomUUID()}`;
    await broker.publishRetained(first);
    await backup();
    const taken = await snapshots();
    assert.equal(taken.length, 1);
    assert.deepEqual(taken[0].tags.sort(), [`dataset:${DATASET}`, `host:${HOST}`]);
    assert.equal(taken[0].hostname, HOST);
    const db = await resticOnNas(lab, secrets, ["dump", taken[0].id, "/mosquitto.db"]);
    assert.ok(db.includes(first), "the snapshot's mosquitto.db holds the message published just before the backup");
  });

  it("writes the metric node exporter serves and passes verify's age check", async () => {
    const response = await fetch(`http://${lab.host(HOST).address}:9100/metrics`);
    assert.equal(response.status, 200);
    const metrics = await response.text();
    const success = metrics.match(/^lyra_backup_last_success_timestamp_seconds\{dataset="mqtt-broker"\} (\S+)$/m);
    assert.ok(success && Number(success[1]) > 0, "a last-success timestamp for the data set");
    assert.match(metrics, /^lyra_backup_last_run_success\{dataset="mqtt-broker"\} 1$/m);
    assert.deepEqual(await verify(ageCheck()), { ok: true, detail: "exit 0" });
  });

  it("a re-flashed vega gets the retained message back before mosquitto first starts", async () => {
    await wipeHost(HOST);
    vega.forget();
    await vega.converge();
    assert.match(await journal(RESTORE), /restored \/var\/lib\/mqtt-broker from snapshot [0-9a-f]+/);
    // Every start of mosquitto this boot (systemd may restart it) came after the restore finished.
    const restored = Number(await onVega(`systemctl show -p ExecMainExitTimestampMonotonic --value ${RESTORE}`));
    const log = await onVega(`journalctl -u ${BROKER} -b --no-pager -o short-monotonic`);
    const starts = log
      .split("\n")
      .filter((l) => /mosquitto version .* starting/.test(l))
      .map((l) => Math.round(Number(/^\[\s*([\d.]+)\]/.exec(l)![1]) * 1e6));
    assert.ok(restored > 0 && starts.length > 0, `a restore (${restored}) and a start of mosquitto:\n${log}`);
    assert.ok(
      starts.every((t) => t > restored),
      `mosquitto started at ${starts.join(", ")} µs, the restore finished at ${restored} µs:\n${log}`,
    );
    assert.doesNotMatch(log, /Address already in use/, "Debian's mosquitto.service was stopped before ours started");
    if (starts.length > 1)
      console.log(`# mosquitto started ${starts.length} times this boot:\n${log.replace(/^/gm, "# ")}`);
    await brokerUp();
    assert.equal(await broker.retained(), first);
  });

  it("a restart of the restore unit overwrites nothing", async () => {
    const newer = `after-backup-${randomUUID()}`;
    await broker.publishRetained(newer);
    await onVega(`systemctl restart ${RESTORE}; systemctl start ${BROKER}`);
    assert.match(await journal(RESTORE), /holds data: nothing restored/);
    await brokerUp();
    assert.equal(await broker.retained(), newer, "the message newer than the backup is still there");
  });

  it("with the NAS unplugged, an empty broker does not start and the converge names the restore", async () => {
    await onVega(`systemctl stop ${BROKER} ${RESTORE}; rm -rf /var/lib/private/mqtt-broker /var/lib/mqtt-broker`);
    await nasPlugged(lab, false);
    try {
      const failure = await vega.converge().then(
        () => assert.fail("the converge should fail"),
        (error: Error) => error,
      );
      assert.match(failure.message, /lyra-restore-mqtt-broker\.service/);
      assert.match(failure.message, /is empty and the backups cannot be read/);
      const log = await journal(RESTORE);
      assert.match(log, /is empty and the backups cannot be read: not restored/);
      assert.match(
        log,
        /nas\.lab\.home\.arpa port 22: (No route to host|Connection timed out)/,
        "ssh's own words say why",
      );
      assert.equal((await lab.sshExec(HOST, `systemctl is-active ${BROKER}`)).stdout.trim(), "inactive");
      assert.equal((await lab.sshExec(HOST, "test -e /var/lib/mqtt-broker")).code, 1, "nothing made an empty data set");
      const [begun, ended] = (
        await onVega(
          `systemctl show -p ExecMainStartTimestampMonotonic --value ${RESTORE}; systemctl show -p ExecMainExitTimestampMonotonic --value ${RESTORE}`,
        )
      )
        .trim()
        .split("\n")
        .map(Number);
      console.log(`# the failed restore took ${((ended - begun) / 1e6).toFixed(1)} s`);
    } finally {
      await nasPlugged(lab, true);
    }
  });

  it("with the NAS back, the same converge restores the data set and starts the broker", async () => {
    await vega.converge();
    assert.match(await journal(RESTORE), /restored \/var\/lib\/mqtt-broker from snapshot/);
    await brokerUp();
    assert.equal(await broker.retained(), first, "the backed-up message, the newer one was never backed up");
  });

  it("refuses a NAS that presents another host key", async () => {
    // The stack pins lyra's host key for the NAS: what a NAS replaced by another machine looks like.
    const ids = async () => (await snapshots()).map((snapshot) => snapshot.id);
    const before = await ids();
    await vega.converge((fleet) => (fleet.site.nas.hostKey = lab.host("lyra").hostKey));
    const result = await backupNow(lab, HOST, DATASET);
    assert.notEqual(result.code, 0, "the backup fails");
    const log = await journal(BACKUP);
    assert.match(log, /Host key verification failed/);
    assert.match(log, /no backup: the repository cannot be read/);
    assert.deepEqual(await ids(), before, "nothing reached the NAS");
    await vega.converge();
    await backup();
    // A new snapshot (retention keeps one a day, so it replaces the day's earlier one).
    const now = await ids();
    assert.ok(
      now.some((id) => !before.includes(id)),
      `with the right key pinned again, it backs up: ${now.join(" ")}`,
    );
  });
});
