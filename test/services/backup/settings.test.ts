/**
 * The stack's `backup:` section, the NAS login it needs and the backups' secrets: every bad value
 * is refused naming the stack file, the field and what was expected (secrets: the key, never the value).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FleetConfigError, parseFleet } from "../../../src/model/load";
import { secretValueProblems } from "../../../src/model/secrets";
import { requiredSecretKeys } from "../../../src/model/secrets";
import { backupPasswordKey, nasSshKeyKey } from "../../../src/services/backup/secrets";
import { stackFleet } from "../../support/stack-fleet";
import { throwawayPrivateKey } from "../../support/test-secrets";

const source = "stacks/Pulumi.test.yaml";
type Raw = Record<string, any>;

/** The one message a user reads for a home stack changed by `mutate`. */
function refused(mutate: (raw: Raw) => void): string {
  const raw = stackFleet("home");
  mutate(raw);
  try {
    parseFleet(raw, source);
  } catch (e) {
    assert.ok(e instanceof FleetConfigError, String(e));
    return e.message;
  }
  assert.fail("the stack was accepted");
}

const problem = (path: string, message: string) =>
  `${source}: 1 problem in lyra-fleet:fleet; nothing was changed:\n  - ${path}: ${message}`;

test("the home stack's backup section and NAS login parse, with the defaults filled in", () => {
  const raw = stackFleet("home");
  const fleet = parseFleet(raw, source);
  assert.deepEqual(fleet.backup, {
    schedule: "*-*-* 03:00:00",
    randomizedDelayMinutes: 30,
    keep: { daily: 7, weekly: 4, monthly: 6 },
    maxAgeHours: 36,
  });
  raw.backup = {};
  assert.deepEqual(parseFleet(raw, source).backup, fleet.backup, "the same values are the defaults");
  assert.equal(fleet.site.nas.user, "lyra");
});

test("with backup: the NAS account and host key are required, each named with why", () => {
  assert.equal(
    refused((f) => delete f.site.nas.user),
    problem(
      "site.nas.user",
      "expected the NAS account the hosts log in as, e.g. lyra (the backup section stores backups on the NAS over SFTP)",
    ),
  );
  assert.equal(
    refused((f) => delete f.site.nas.hostKey),
    problem(
      "site.nas.hostKey",
      'expected the NAS\'s SSH host key, "<type> <base64>" (ssh-keyscan -t ed25519 nas.home.arpa) (the backup section stores backups on the NAS over SFTP)',
    ),
  );
  // Without backup: neither is needed, and no backup secret either.
  const raw = stackFleet("home");
  delete raw.backup;
  delete raw.site.nas.user;
  delete raw.site.nas.hostKey;
  const fleet = parseFleet(raw, source);
  assert.equal(fleet.backup, undefined);
  assert.ok(!requiredSecretKeys(fleet).includes(backupPasswordKey));
  assert.ok(requiredSecretKeys(parseFleet(stackFleet("home"), source)).includes(nasSshKeyKey));
});

test("bad NAS login values name the field and what was expected", () => {
  assert.equal(
    refused((f) => (f.site.nas.user = "Lyra Backup")),
    problem("site.nas.user", "expected a NAS account name (lowercase letters, digits, - and _)"),
  );
  assert.match(
    refused((f) => (f.site.nas.hostKey = "ssh-ed25519")),
    /^.*\n {2}- site\.nas\.hostKey: expected /,
  );
});

test("bad backup settings name the field and what was expected", () => {
  const cases: [(b: Raw) => void, string, string][] = [
    [(b) => (b.schedule = "daily\nExecStart=/bin/sh"), "backup.schedule", "expected a systemd OnCalendar= expression"],
    [(b) => (b.schedule = ""), "backup.schedule", "expected a systemd OnCalendar= expression"],
    [(b) => (b.schedule = 3), "backup.schedule", "expected a systemd OnCalendar= expression"],
    // Characters systemd uses, in an expression it would refuse or never run: the timer would
    // load without a trigger, and the backups stop without an error.
    [(b) => (b.schedule = "every day"), "backup.schedule", '"every" is not a weekday'],
    [(b) => (b.schedule = "*-*-* 25:00"), "backup.schedule", "hour 25 is out of range (0-23)"],
    [
      (b) => (b.schedule = "*-02-30 03:00"),
      "backup.schedule",
      "no month of 02 has a day 30: the schedule would never run",
    ],
    [(b) => (b.schedule = "2027-*-* 03:00"), "backup.schedule", "the year 2027 ends the schedule"],
    [(b) => (b.schedule = "*-*-* 03:00 Mars/Olympus"), "backup.schedule", '"Mars/Olympus" is not a time zone'],
    [(b) => (b.randomizedDelayMinutes = -1), "backup.randomizedDelayMinutes", "expected a number of minutes (0-720)"],
    [(b) => (b.keep.daily = 1.5), "backup.keep.daily", "expected a whole number of daily backups (0-1000)"],
    [
      (b) => (b.keep = { daily: 0, weekly: 0, monthly: 0 }),
      "backup.keep",
      "expected at least one backup kept (daily, weekly or monthly above 0): 0 everywhere would delete every backup",
    ],
    [(b) => (b.maxAgeHours = 0), "backup.maxAgeHours", "expected a number of hours (1-2160)"],
    [(b) => (b.keepHourly = 3), "backup", "unknown field"],
  ];
  for (const [mutate, path, message] of cases) {
    const said = refused((f) => mutate(f.backup));
    assert.ok(said.startsWith(`${source}: 1 problem in lyra-fleet:fleet; nothing was changed:\n  - ${path}`), said);
    assert.ok(said.includes(message), `${path}: ${said}`);
  }
});

test("a schedule systemd runs, in its forms, is taken as written", () => {
  for (const schedule of ["weekly", "Sat,Sun 04:00", "*-*-01 03:00", "*-*-* 03:00 America/New_York"]) {
    const raw = stackFleet("home");
    raw.backup.schedule = schedule;
    assert.equal(parseFleet(raw, source).backup?.schedule, schedule);
  }
});

test("the restic password must survive restic's password file; the NAS key must be one unencrypted private key; no value is quoted", () => {
  const password = (value: string) => secretValueProblems({ [backupPasswordKey]: value });
  assert.deepEqual(password("3f9c0d6e1b2a4c5d spaces = fine"), []);
  assert.match(password("")[0], /^secret 'backupPassword' is empty/);
  assert.match(password("abc\ndef")[0], /^secret 'backupPassword' holds a line break/);
  assert.match(password(" abc")[0], /^secret 'backupPassword' starts or ends with whitespace/);
  assert.ok(!password("abc\ndef")[0].includes("abc"));

  const key = (value: string) => secretValueProblems({ [nasSshKeyKey]: value });
  assert.deepEqual(key(throwawayPrivateKey()), []);
  assert.deepEqual(key("TEST-SECRET-not-a-key"), [
    "secret 'nasSshKey' is not an SSH private key (OpenSSH's format, or an RSA or EC key in PEM): expected an unencrypted OpenSSH private key (ssh-keygen -t ed25519 -N '')",
  ]);
  const dir = mkdtempSync(join(tmpdir(), "lyra-nas-key-"));
  after(() => rmSync(dir, { recursive: true, force: true })); // a private key, even if a locked one
  const file = join(dir, "id");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "a passphrase", "-f", file]);
  assert.deepEqual(key(readFileSync(file, "utf8")), [
    "secret 'nasSshKey' is encrypted with a passphrase: expected an unencrypted OpenSSH private key (ssh-keygen -t ed25519 -N '')",
  ]);
  assert.match(key(readFileSync(`${file}.pub`, "utf8"))[0], /^secret 'nasSshKey' is /);
});
