/**
 * The rendered backup and restore scripts of one data set, run with Debian's real restic against a
 * local repository (the env file points them at it; SFTP to the NAS is proven in the lab). A data
 * set is backed up, wiped and brought back; data that is there is never overwritten; no repository
 * is a first deploy, an unreachable one fails the restore; retention keeps what the stack says, for
 * its own data set only; a backup refuses to run before its restore; the metrics are written; and
 * `--snapshot` brings back an older backup, moving the current data aside.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadStackFile } from "../../../../src/model/load";
import { backupSchema } from "../../../../src/services/backup/settings";
import { backupScriptText, restoreScriptText, type BackedUpDataSet } from "../../../../src/services/backup/scripts";
import { freePort } from "../../../support/free-port";

const dir = mkdtempSync(join(tmpdir(), "lyra-restic-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const host = "testhost";
const password = "TEST-restic-password-4b1d";
const passwordFile = join(dir, "password");
writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });

/** A data set in a scratch directory, with one file that `pulumi up` would write itself. */
function dataSet(id: string): BackedUpDataSet {
  return { service: "test", path: join(dir, "data", id), note: "test data", backup: { id, exclude: ["managed.txt"] } };
}

interface Setup {
  env: string;
  state: string;
  run: string;
  textfiles: string;
  repo: string;
}

/** An env file like the rendered restic.env, pointing at `repository` and scratch state directories. */
function setup(name: string, repository: string, sftpCommand = ""): Setup {
  const base = join(dir, name);
  const s = {
    env: join(base, "restic.env"),
    state: join(base, "state"),
    run: join(base, "run"),
    textfiles: join(base, "textfiles"),
    repo: repository,
  };
  mkdirSync(s.textfiles, { recursive: true });
  writeFileSync(
    s.env,
    [
      `RESTIC_REPOSITORY='${repository}'`,
      `RESTIC_PASSWORD_FILE=${passwordFile}`,
      `RESTIC_CACHE_DIR=${join(base, "cache")}`,
      `LYRA_SFTP_COMMAND='${sftpCommand}'`,
      `LYRA_BACKUP_STATE_DIR=${s.state}`,
      `LYRA_BACKUP_RUN_DIR=${s.run}`,
      `LYRA_TEXTFILE_DIR=${s.textfiles}`,
      "",
    ].join("\n"),
  );
  return s;
}

const settings = (keep: { daily: number; weekly: number; monthly: number }) => backupSchema.parse({ keep });

/** Writes the rendered script and runs it: its exit code and everything it said. */
function runScript(
  s: Setup,
  name: string,
  text: string,
  args: string[] = [],
): { status: number | null; output: string } {
  const path = join(dir, `${name}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, text, { mode: 0o755 });
  const r = spawnSync(path, args, {
    encoding: "utf8",
    timeout: 120_000,
    env: { PATH: process.env.PATH, LYRA_BACKUP_ENV: s.env },
  });
  const output = `${r.stdout}${r.stderr}`;
  assert.ok(!output.includes(password), "the repository password appears in the scripts' output");
  return { status: r.status, output };
}

const backup = (s: Setup, d: BackedUpDataSet, keep = { daily: 7, weekly: 4, monthly: 6 }) =>
  runScript(s, `backup-${d.backup.id}`, backupScriptText(host, d, settings(keep)));
const restore = (s: Setup, d: BackedUpDataSet, args: string[] = []) =>
  runScript(s, `restore-${d.backup.id}`, restoreScriptText(host, d), args);

/** restic itself, on the same repository: what is really in it. */
function snapshots(s: Setup, tags: string): { id: string; tags: string[]; time: string }[] {
  const out = execFileSync("restic", ["snapshots", "--json", "--tag", tags], {
    encoding: "utf8",
    env: { ...process.env, RESTIC_REPOSITORY: s.repo, RESTIC_PASSWORD_FILE: passwordFile },
  });
  return JSON.parse(out) as { id: string; tags: string[]; time: string }[];
}

function filesUnder(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string, rel: string) => {
    for (const entry of readdirSync(p, { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(p, entry.name), r);
      else out[r] = readFileSync(join(p, entry.name), "utf8");
    }
  };
  if (existsSync(path)) walk(path, "");
  return out;
}

function writeData(path: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(path, rel, ".."), { recursive: true });
    writeFileSync(join(path, rel), content);
  }
}

const metric = (s: Setup, id: string, name: string): string | undefined =>
  new RegExp(`^${name}\\{dataset="${id}"\\} (\\S+)$`, "m").exec(
    readFileSync(join(s.textfiles, `lyra_backup_${id}.prom`), "utf8"),
  )?.[1];

test("restic is Debian's real one", () => {
  assert.match(execFileSync("restic", ["version"], { encoding: "utf8" }), /^restic 0\.\d+/);
});

test("first deploy: no repository yet, so the restore restores nothing and succeeds; the backup creates it", () => {
  const s = setup("first", join(dir, "first-repo"));
  const d = dataSet("first");
  const r = restore(s, d);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /no repository at .* yet \(a first deploy\): nothing to restore/);
  assert.ok(existsSync(join(s.run, "first.restored")), "the restore's stamp for this boot");
  assert.ok(!existsSync(s.repo), "a restore never creates the repository");
  assert.equal(metric(s, "first", "lyra_backup_last_success_timestamp_seconds"), "0");

  writeData(d.path, { "a.txt": "alpha\n" });
  const b = backup(s, d);
  assert.equal(b.status, 0, b.output);
  assert.match(b.output, /creating it/);
  assert.equal(snapshots(s, "host:testhost,dataset:first").length, 1);
});

test("a data set with no data yet is a good run without a snapshot (restic refuses empty ones); the first data is backed up", () => {
  const s = setup("nodata", join(dir, "nodata-repo"));
  const d = dataSet("nodata");
  writeData(d.path, { "managed.txt": "written by pulumi up\n" });
  assert.equal(restore(s, d).status, 0);
  const b = backup(s, d);
  assert.equal(b.status, 0, b.output);
  assert.match(b.output, /holds no data yet: nothing to back up/);
  assert.equal(snapshots(s, "host:testhost,dataset:nodata").length, 0, "no empty snapshot");
  assert.equal(metric(s, "nodata", "lyra_backup_last_run_success"), "1");
  assert.notEqual(metric(s, "nodata", "lyra_backup_last_success_timestamp_seconds"), "0");

  writeData(d.path, { "a.txt": "alpha\n" });
  assert.equal(backup(s, d).status, 0);
  assert.equal(snapshots(s, "host:testhost,dataset:nodata").length, 1);
});

test("a backup refuses to run before its data set's restore succeeded this boot", () => {
  const s = setup("norestore", join(dir, "norestore-repo"));
  const d = dataSet("norestore");
  writeData(d.path, { "a.txt": "alpha\n" });
  const b = backup(s, d);
  assert.equal(b.status, 1, b.output);
  assert.match(b.output, /lyra-restore-norestore\.service has not succeeded since boot: no backup/);
  assert.ok(!existsSync(s.repo), "nothing reached the repository");
});

test("a data set whose parent is gone too (qdrant's /var/lib/qdrant/snapshots on a re-flashed host) is restored into a new parent", () => {
  const s = setup("nested", join(dir, "nested-repo"));
  const parent = join(dir, "data", "nested-parent");
  const d = { ...dataSet("nested"), path: join(parent, "snapshots") };
  assert.equal(restore(s, d).status, 0);
  writeData(d.path, { "points/collection.snapshot": "vectors\n" });
  const b = backup(s, d);
  assert.equal(b.status, 0, b.output);

  rmSync(parent, { recursive: true });
  rmSync(s.run, { recursive: true });
  mkdirSync(s.run, { recursive: true });
  const r = restore(s, d);
  assert.equal(r.status, 0, r.output);
  assert.deepEqual(filesUnder(d.path), { "points/collection.snapshot": "vectors\n" });
});

test("back up, wipe, restore: the data comes back whole; what pulumi up writes is neither backed up nor restored", () => {
  const s = setup("cycle", join(dir, "cycle-repo"));
  const d = dataSet("cycle");
  assert.equal(restore(s, d).status, 0);
  const data = { "flows.json": '[{"id":"1"}]\n', "lib/nested/deep.txt": "deep\n", ".hidden": "dot\n" };
  writeData(d.path, { ...data, "managed.txt": "written by pulumi up\n" });
  const b = backup(s, d);
  assert.equal(b.status, 0, b.output);
  const [snap] = snapshots(s, "host:testhost,dataset:cycle");
  assert.deepEqual(snap.tags, ["host:testhost", "dataset:cycle"]);
  const listed = execFileSync("restic", ["ls", snap.id], {
    encoding: "utf8",
    env: { ...process.env, RESTIC_REPOSITORY: s.repo, RESTIC_PASSWORD_FILE: passwordFile },
  });
  assert.match(listed, /\/flows\.json$/m);
  assert.doesNotMatch(listed, /managed\.txt/);
  // Metrics and verify's stamp: the same second, and a success.
  const stamp = readFileSync(join(s.state, "cycle.last-success"), "utf8").trim();
  assert.match(stamp, /^\d{10}$/);
  assert.equal(metric(s, "cycle", "lyra_backup_last_success_timestamp_seconds"), stamp);
  assert.equal(metric(s, "cycle", "lyra_backup_last_run_success"), "1");

  // The host is rebuilt: the data is gone, pulumi up has written its own file again, a new boot.
  rmSync(d.path, { recursive: true });
  rmSync(s.run, { recursive: true });
  rmSync(s.state, { recursive: true });
  writeData(d.path, { "managed.txt": "written by pulumi up, again\n" });
  const r = restore(s, d);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, new RegExp(`restored .* from snapshot ${snap.id.slice(0, 8)}`));
  assert.deepEqual(filesUnder(d.path), { ...data, "managed.txt": "written by pulumi up, again\n" });
  assert.ok(!existsSync(`${d.path}.lyra-restore`), "the staging directory is gone");
  // The restored snapshot is the last good backup: its time, not the restore's.
  assert.equal(
    readFileSync(join(s.state, "cycle.last-success"), "utf8").trim(),
    String(Math.floor(Date.parse(snap.time) / 1000)),
  );
});

test("existing data is never overwritten: a restore on a host that has data changes nothing", () => {
  const s = setup("keep", join(dir, "keep-repo"));
  const d = dataSet("keep");
  assert.equal(restore(s, d).status, 0);
  writeData(d.path, { "a.txt": "backed up\n" });
  assert.equal(backup(s, d).status, 0);
  writeData(d.path, { "a.txt": "newer than the backup\n", "b.txt": "new\n" });
  rmSync(s.run, { recursive: true });
  const r = restore(s, d);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /holds data: nothing restored/);
  assert.deepEqual(filesUnder(d.path), { "a.txt": "newer than the backup\n", "b.txt": "new\n" });
});

test("an unreachable repository fails the restore of an empty data set (its service would start empty) and fails the backup", async () => {
  const closed = await freePort();
  const ssh = `ssh -p ${closed} -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null lyra@127.0.0.1 -s sftp`;
  const s = setup("unreachable", "sftp:lyra@127.0.0.1:/srv/lyra-backups/restic", ssh);
  const d = dataSet("unreachable");
  const r = restore(s, d);
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /cannot read the backup repository sftp:lyra@127\.0\.0\.1:\/srv\/lyra-backups\/restic/);
  assert.match(r.output, /Connection refused/, "ssh's own words say why");
  assert.match(r.output, /is empty and the backups cannot be read: not restored/);
  assert.ok(!existsSync(join(s.run, "unreachable.restored")), "no stamp: the backup stays blocked");

  // With data there, the restore needs no NAS: it succeeds; the backup then fails, and says so in its metric.
  writeData(d.path, { "a.txt": "alpha\n" });
  assert.equal(restore(s, d).status, 0);
  const b = backup(s, d);
  assert.equal(b.status, 1, b.output);
  assert.match(b.output, /no backup: the repository cannot be read/);
  assert.equal(metric(s, "unreachable", "lyra_backup_last_run_success"), "0");
  assert.equal(metric(s, "unreachable", "lyra_backup_last_success_timestamp_seconds"), "0");
});

test("retention: forget --prune keeps what the stack says, for its own data set and host only", () => {
  const s = setup("retention", join(dir, "retention-repo"));
  const d = dataSet("retention");
  const other = dataSet("other");
  assert.equal(restore(s, d).status, 0);
  assert.equal(restore(s, other).status, 0);
  writeData(other.path, { "o.txt": "other\n" });
  assert.equal(backup(s, other).status, 0);
  // Two more of the other data set by restic itself, without its forget: three to keep.
  for (let i = 0; i < 2; i++)
    execFileSync("restic", ["backup", "-q", "--host", host, "--tag", "host:testhost,dataset:other", "."], {
      cwd: other.path,
      env: { ...process.env, RESTIC_REPOSITORY: s.repo, RESTIC_PASSWORD_FILE: passwordFile },
    });
  for (let i = 0; i < 3; i++) {
    writeData(d.path, { "a.txt": `version ${i}\n` });
    const b = backup(s, d, { daily: 1, weekly: 0, monthly: 0 });
    assert.equal(b.status, 0, b.output);
  }
  // Three backups the same day, one daily kept: the newest.
  const kept = snapshots(s, "host:testhost,dataset:retention");
  assert.equal(kept.length, 1);
  // The other data set's backups were not this data set's to forget.
  assert.equal(snapshots(s, "host:testhost,dataset:other").length, 3);
  rmSync(d.path, { recursive: true });
  rmSync(s.run, { recursive: true });
  assert.equal(restore(s, d).status, 0);
  assert.deepEqual(filesUnder(d.path), { "a.txt": "version 2\n" });
});

test("--snapshot restores an older backup on purpose: the current data is moved aside, not deleted", () => {
  const s = setup("older", join(dir, "older-repo"));
  const d = dataSet("older");
  const stranger = dataSet("stranger");
  assert.equal(restore(s, d).status, 0);
  assert.equal(restore(s, stranger).status, 0);
  // Yesterday's backup, dated by restic itself: retention keeps one a day, so both days stay.
  writeData(d.path, { "a.txt": "monday\n" });
  const restic = { ...process.env, RESTIC_REPOSITORY: s.repo, RESTIC_PASSWORD_FILE: passwordFile };
  execFileSync("restic", ["init", "-q"], { env: restic });
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().replace("T", " ").slice(0, 19);
  execFileSync(
    "restic",
    ["backup", "-q", "--host", host, "--tag", "host:testhost,dataset:older", "--time", yesterday, "."],
    {
      cwd: d.path,
      env: restic,
    },
  );
  writeData(d.path, { "a.txt": "tuesday\n" });
  assert.equal(backup(s, d).status, 0);
  writeData(stranger.path, { "s.txt": "not older's\n" });
  assert.equal(backup(s, stranger).status, 0);
  const [monday] = snapshots(s, "host:testhost,dataset:older").sort((a, b) => a.time.localeCompare(b.time));
  const [strangers] = snapshots(s, "host:testhost,dataset:stranger");
  writeData(d.path, { "a.txt": "wednesday, broken\n" });

  const listed = restore(s, d, ["--list"]);
  assert.equal(listed.status, 0, listed.output);
  assert.ok(listed.output.includes(monday.id.slice(0, 8)), listed.output);
  // One "<id> <time>" line per backup, newest last: the docs' restore takes its id from there.
  const lines = listed.output.trim().split("\n");
  assert.equal(lines.length, 2, listed.output);
  assert.match(lines[0], new RegExp(`^${monday.id} `), listed.output);
  assert.match(lines[1], /^[0-9a-f]{64} \d{4}-/, listed.output);

  // Another data set's snapshot is refused, and nothing moves.
  const refused = restore(s, d, ["--snapshot", strangers.id.slice(0, 8)]);
  assert.equal(refused.status, 1, refused.output);
  assert.match(refused.output, /is not a backup of older from testhost/);
  assert.deepEqual(filesUnder(d.path), { "a.txt": "wednesday, broken\n" });

  const r = restore(s, d, ["--snapshot", monday.id.slice(0, 8)]);
  assert.equal(r.status, 0, r.output);
  assert.deepEqual(filesUnder(d.path), { "a.txt": "monday\n" });
  const aside = readdirSync(join(dir, "data")).filter((n) => n.startsWith("older.lyra-replaced-"));
  assert.equal(aside.length, 1, `one directory moved aside: ${readdirSync(join(dir, "data")).join(", ")}`);
  assert.deepEqual(filesUnder(join(dir, "data", aside[0])), { "a.txt": "wednesday, broken\n" });
});

test("systemd reads the stacks' backup schedules as calendar times (and refuses one that is not)", () => {
  const schedules = ["home"].map((stack) => loadStackFile(`stacks/Pulumi.${stack}.yaml`).backup?.schedule);
  for (const schedule of [...schedules, backupSchema.parse({}).schedule]) {
    assert.ok(schedule, "the stack has a backup schedule");
    const r = spawnSync("systemd-analyze", ["calendar", schedule], { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.status, 0, `${schedule}: ${r.stdout}${r.stderr}`);
  }
  assert.notEqual(spawnSync("systemd-analyze", ["calendar", "every tuesday"], { encoding: "utf8" }).status, 0);
});

test("a data set without data but with leftovers (qdrant: no collections, its last snapshot file still there) is restored around them; only a file that differs is left to compare", () => {
  const s = setup("leftover", join(dir, "leftover-repo"));
  const storage = join(dir, "data", "leftover-storage");
  // As qdrant's: the data set holds data when its storage does, whatever its snapshots directory holds.
  const d: BackedUpDataSet = {
    ...dataSet("leftover"),
    backup: { id: "leftover", present: `[ -n "$(ls -A ${storage} 2>/dev/null)" ]` },
  };
  mkdirSync(storage, { recursive: true });
  writeFileSync(join(storage, "collection"), "x\n");
  assert.equal(restore(s, d).status, 0);
  const data = { "docs/docs-1.snapshot": "vectors\n", "docs/older.snapshot": "older\n" };
  writeData(d.path, data);
  assert.equal(backup(s, d).status, 0);

  // The collections are gone; the snapshots directory kept one of its files, and a new boot.
  rmSync(join(storage, "collection"));
  rmSync(join(d.path, "docs", "older.snapshot"));
  rmSync(s.run, { recursive: true });
  mkdirSync(s.run, { recursive: true });
  const r = restore(s, d);
  assert.equal(r.status, 0, r.output);
  assert.deepEqual(filesUnder(d.path), data);
  assert.ok(!existsSync(`${d.path}.lyra-restore`), "nothing left in staging");

  // A file there that differs from the backup's is never overwritten: the restore fails, naming it.
  writeFileSync(join(d.path, "docs", "docs-1.snapshot"), "something else\n");
  rmSync(join(d.path, "docs", "older.snapshot"));
  rmSync(s.run, { recursive: true });
  mkdirSync(s.run, { recursive: true });
  const conflict = restore(s, d);
  assert.notEqual(conflict.status, 0);
  assert.match(conflict.output, /still holds files that differ from those in .*: left for you to compare/);
  assert.equal(readFileSync(join(d.path, "docs", "docs-1.snapshot"), "utf8"), "something else\n");
  assert.equal(readFileSync(join(d.path, "docs", "older.snapshot"), "utf8"), "older\n", "what was missing came back");
});
