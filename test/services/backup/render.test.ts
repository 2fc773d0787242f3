/**
 * What the backup module puts on a host: restic and its login (secrets only as tokens, root-only),
 * per data set a restore unit its service requires and a backup timer that never runs before it,
 * the operator's lyra-restore, verify's age checks; and nothing at all without `backup:`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FleetModel } from "../../../src/model/fleet";
import { planFleet } from "../../../src/render";
import type { HostPlan } from "../../../src/render/plan";
import { secretKeysIn } from "../../../src/render/secrets";
import { homeFleet, unitValue, unitValues, type RawFleet } from "../../render/fixtures";

const planOf = (fleet: FleetModel, host: string): HostPlan => planFleet(fleet).find((p) => p.host === host)!;
const unitText = (plan: HostPlan, name: string): string => {
  const unit = plan.units.find((u) => u.name === name);
  assert.ok(unit?.content, `${plan.host} has ${name}; units: ${plan.units.map((u) => u.name).join(", ")}`);
  return unit.content;
};
const file = (plan: HostPlan, path: string) => {
  const f = plan.files.find((x) => x.path === path);
  assert.ok(f, `${plan.host} has ${path}`);
  return f;
};

const lyra = planOf(homeFleet(), "lyra");
const vega = planOf(homeFleet(), "vega");

test("each backed-up data set gets its restore unit, its backup service and its timer; the rest get none", () => {
  const backupUnits = (plan: HostPlan) =>
    plan.units.map((u) => u.name).filter((n) => /^lyra-(backup|restore)-/.test(n));
  assert.deepEqual(backupUnits(lyra), [
    "lyra-backup-mkdocs-incidents.service",
    "lyra-backup-mkdocs-incidents.timer",
    "lyra-backup-nodered.service",
    "lyra-backup-nodered.timer",
    "lyra-backup-qdrant.service",
    "lyra-backup-qdrant.timer",
    "lyra-restore-mkdocs-incidents.service",
    "lyra-restore-nodered.service",
    "lyra-restore-qdrant.service",
  ]);
  assert.deepEqual(backupUnits(vega), [
    "lyra-backup-config-source.service",
    "lyra-backup-config-source.timer",
    "lyra-backup-mqtt-broker.service",
    "lyra-backup-mqtt-broker.timer",
    "lyra-restore-config-source.service",
    "lyra-restore-mqtt-broker.service",
  ]);
  // A mirror's only data set is its cache, which refills itself: no restic there.
  const mirror = planOf(homeFleet(), "mirror-1");
  assert.deepEqual(backupUnits(mirror), []);
  assert.ok(!mirror.packages.includes("restic"));
  assert.ok(
    lyra.packages.includes("restic") && lyra.packages.includes("openssh-client") && lyra.packages.includes("jq"),
  );
});

test("a data set's service requires its restore and starts after it; the restore is a oneshot kept active", () => {
  for (const [service, id] of [
    ["qdrant.service", "qdrant"],
    ["nodered.service", "nodered"],
    ["mkdocs.service", "mkdocs-incidents"],
  ]) {
    const content = unitText(lyra, service);
    assert.ok(unitValues(content, "Unit", "Requires").includes(`lyra-restore-${id}.service`), service);
    assert.ok(unitValues(content, "Unit", "After").includes(`lyra-restore-${id}.service`), service);
    assert.ok(lyra.unitOrder[service].includes(`lyra-restore-${id}.service`), `${service} starts after its restore`);
    const restore = unitText(lyra, `lyra-restore-${id}.service`);
    assert.equal(unitValue(restore, "Service", "Type"), "oneshot");
    assert.equal(unitValue(restore, "Service", "RemainAfterExit"), "yes");
    assert.equal(unitValue(restore, "Service", "ExecStart"), `/usr/local/lib/lyra/restore-${id}`);
    const planned = lyra.units.find((u) => u.name === `lyra-restore-${id}.service`)!;
    assert.deepEqual([planned.enabled, planned.active], [true, true]);
  }
  // The native broker's unit too; in docker mode the restore runs while its host converges, before the container.
  const native = planOf(
    homeFleet((raw: RawFleet) => (raw.hosts.vega.services = { "mqtt-broker": { mode: "native" } })),
    "vega",
  );
  assert.ok(
    unitValues(unitText(native, "mqtt-broker.service"), "Unit", "Requires").includes(
      "lyra-restore-mqtt-broker.service",
    ),
  );
  assert.equal(native.dataSets.find((d) => d.service === "mqtt-broker")?.path, "/var/lib/mqtt-broker");
  assert.equal(
    vega.dataSets.find((d) => d.service === "mqtt-broker")?.path,
    "/var/lib/docker/volumes/mqtt-broker-data/_data",
  );
});

test("the backup never runs before its restore; the timer follows the stack's schedule and catches up", () => {
  const backup = unitText(lyra, "lyra-backup-qdrant.service");
  assert.deepEqual(unitValues(backup, "Unit", "Requires"), ["lyra-restore-qdrant.service"]);
  assert.ok(unitValues(backup, "Unit", "After").includes("lyra-restore-qdrant.service"));
  assert.equal(unitValue(backup, "Service", "ExecStart"), "/usr/local/lib/lyra/backup-qdrant");
  const timer = unitText(lyra, "lyra-backup-qdrant.timer");
  assert.equal(unitValue(timer, "Timer", "OnCalendar"), "*-*-* 03:00:00");
  assert.equal(unitValue(timer, "Timer", "RandomizedDelaySec"), "30min");
  assert.equal(unitValue(timer, "Timer", "Persistent"), "yes");
  const other = planOf(
    homeFleet((raw: RawFleet) => (raw.backup = { schedule: "Sun *-*-* 04:30", randomizedDelayMinutes: 0 })),
    "lyra",
  );
  assert.equal(unitValue(unitText(other, "lyra-backup-qdrant.timer"), "Timer", "OnCalendar"), "Sun *-*-* 04:30");
});

test("the login: secrets only as tokens in root-only files, the NAS's key pinned, ssh strict and bounded", () => {
  assert.deepEqual(secretKeysIn(file(lyra, "/etc/lyra/backup/password").content), ["backupPassword"]);
  assert.deepEqual(secretKeysIn(file(lyra, "/etc/lyra/backup/ssh-key").content), ["nasSshKey"]);
  for (const path of ["/etc/lyra/backup/password", "/etc/lyra/backup/ssh-key"])
    assert.deepEqual([file(lyra, path).mode, file(lyra, path).owner], ["0600", "root"]);
  assert.equal(lyra.directories.find((d) => d.path === "/etc/lyra/backup")?.mode, "0700");
  // Only those two files hold a secret: no unit, script or env file does.
  const holding = lyra.files.filter((f) =>
    secretKeysIn(f.content).some((k) => k === "backupPassword" || k === "nasSshKey"),
  );
  assert.deepEqual(holding.map((f) => f.path).sort(), ["/etc/lyra/backup/password", "/etc/lyra/backup/ssh-key"]);
  assert.ok(lyra.units.every((u) => secretKeysIn(u.content ?? "").length === 0));
  assert.equal(
    file(lyra, "/etc/lyra/backup/known_hosts").content,
    "nas.home.arpa ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC34NwTnrX87fEjyDx+lfadUuPLOq8rS6T3AOuufzk40\n",
  );
  const env = file(lyra, "/etc/lyra/backup/restic.env").content;
  assert.match(env, /^RESTIC_REPOSITORY='sftp:lyra@nas\.home\.arpa:\/volume1\/lyra-backups\/restic'$/m);
  assert.match(env, /^RESTIC_PASSWORD_FILE=\/etc\/lyra\/backup\/password$/m);
  const sftp = /^LYRA_SFTP_COMMAND='(.*)'$/m.exec(env)?.[1] ?? "";
  for (const option of [
    "-i /etc/lyra/backup/ssh-key",
    "-o UserKnownHostsFile=/etc/lyra/backup/known_hosts",
    "-o GlobalKnownHostsFile=/dev/null",
    "-o StrictHostKeyChecking=yes",
    "-o BatchMode=yes",
    "-o ConnectTimeout=10",
  ])
    assert.ok(sftp.includes(option), option);
  assert.ok(sftp.endsWith("lyra@nas.home.arpa -s sftp"), sftp);
  assert.match(env, /^LYRA_TEXTFILE_DIR=\/var\/lib\/prometheus\/node-exporter$/m);
});

test("the scripts: tagged by host and data set, scoped retention from the stack, qdrant's snapshot API before, its recovery after", () => {
  const backup = file(lyra, "/usr/local/lib/lyra/backup-qdrant").content;
  assert.match(backup, /^host='lyra'$/m);
  assert.match(backup, /^id='qdrant'$/m);
  assert.match(backup, /^tags="host:\$host,dataset:\$id"$/m);
  assert.match(
    backup,
    /restic_ forget --tag "\$tags" --group-by tags --keep-daily 7 --keep-weekly 4 --keep-monthly 6 --prune/,
  );
  assert.ok(backup.includes('curl -fsS --max-time 3600 -X POST "$api/collections/$name/snapshots?wait=true"'));
  assert.ok(backup.includes("api=http://127.0.0.1:6333"));
  const restore = file(lyra, "/usr/local/lib/lyra/restore-qdrant").content;
  assert.ok(
    restore.includes('[ -n "$(ls -A /var/lib/qdrant/storage/collections 2>/dev/null)" ]'),
    "qdrant has data when it has collections",
  );
  assert.ok(restore.includes("> /run/lyra/qdrant-restore.env"));
  const qdrant = unitText(lyra, "qdrant.service");
  assert.equal(unitValue(qdrant, "Service", "EnvironmentFile"), "-/run/lyra/qdrant-restore.env");
  assert.match(unitValue(qdrant, "Service", "ExecStart"), / \$QDRANT_RESTORE_ARGS$/);
  assert.equal(unitValue(qdrant, "Service", "ExecStartPost"), "+/bin/rm -f /run/lyra/qdrant-restore.env");
  // What pulumi up writes itself is left out: the config source's own files, the entries index. Node-RED's
  // flows_cred.json is the editor's (encrypted) credentials, backed up with its flows.
  assert.ok(!file(lyra, "/usr/local/lib/lyra/backup-nodered").content.includes("--exclude"));
  assert.ok(file(lyra, "/usr/local/lib/lyra/backup-mkdocs-incidents").content.includes(`--exclude "$real/"'index.md'`));
  const config = file(vega, "/usr/local/lib/lyra/backup-config-source").content;
  assert.ok(config.includes(`--exclude "$real/"'README.md' --exclude "$real/"'fleet.json'`));
  assert.ok(!config.includes("--keep-hourly"));
});

test("lyra-restore knows the host's data sets; verify checks each backup's age against the stack's maximum", () => {
  const command = file(lyra, "/usr/local/sbin/lyra-restore");
  assert.equal(command.mode, "0755");
  for (const id of ["qdrant", "nodered", "mkdocs-incidents"])
    assert.ok(command.content.includes(`'${id}') echo '/usr/local/lib/lyra/restore-${id}' ;;`), id);
  const age = lyra.checks.find((c) => c.name === "lyra: last good backup of qdrant younger than 36 h");
  assert.ok(age && age.kind === "command");
  assert.ok(age.command.startsWith("f=/var/lib/lyra/backup/qdrant.last-success;"));
  assert.ok(age.command.includes('[ "$age" -lt 129600 ]'));
  assert.ok(lyra.checks.some((c) => c.kind === "unit" && c.unit === "lyra-restore-qdrant.service"));
  assert.ok(lyra.checks.some((c) => c.kind === "unit" && c.unit === "lyra-backup-qdrant.timer"));
});

test("without backup: in the stack, or with backup turned off on a host, nothing of it is rendered and no unit waits for a restore", () => {
  const none = homeFleet((raw: RawFleet) => delete raw.backup);
  const offOnLyra = homeFleet((raw: RawFleet) => (raw.hosts.lyra.services.backup = { enabled: false }));
  for (const plan of [planOf(none, "lyra"), planOf(offOnLyra, "lyra")]) {
    assert.ok(!plan.units.some((u) => u.name.startsWith("lyra-restore-") || u.name.startsWith("lyra-backup-")));
    assert.ok(!plan.files.some((f) => f.path.startsWith("/etc/lyra/backup/")));
    assert.deepEqual(unitValues(unitText(plan, "qdrant.service"), "Unit", "Requires"), []);
    assert.ok(!plan.packages.includes("restic"));
  }
  // Still backed up elsewhere when only lyra turned it off.
  assert.ok(planOf(offOnLyra, "vega").units.some((u) => u.name === "lyra-restore-mqtt-broker.service"));
});
