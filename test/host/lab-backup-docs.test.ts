/**
 * Lab: the docs' incident entries on lyra backed up to the lab's NAS over SFTP and brought back on
 * a re-flashed lyra before mkdocs first starts. lyra's items come from the project's own render
 * functions for the lab stack, filtered to the services that need no app artifact: mkdocs
 * (Debian's), backup and node exporter.
 *
 * Run under the machine's lab lock:
 *   flock /tmp/lyra-lab.lock node --import tsx --test test/host/lab-backup-docs.test.ts
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { closeAllHostConnections } from "../../src/host/transport/ssh";
import { docsRoot, docsDir, entriesDir } from "../../src/render/docs/paths";
import { labSecrets } from "../lab/pulumi-lab";
import { backupNow, LabConverger, nasPlugged, resticOnNas, snapshotsOnNas } from "./support/lab-backup";
import { type Lab, ensureLab, labConnection, onHost, wipeHost } from "./support/lab";

const HOST = "lyra";
const SERVICES = ["backup", "mkdocs", "node-exporter"];
const DATASET = "mkdocs-incidents";
const RESTORE = `lyra-restore-${DATASET}.service`;
const ENTRIES = `${docsRoot}/${docsDir}/${entriesDir}`;
const ENTRY = "2026-12-04-runbook";
const DEADLINE_PAGE_MS = 20_000;

let lab: Lab;
let secrets: Record<string, string>;
let lyra: LabConverger;
const marker = `lab-backup-${randomUUID()}`;

/** What the unit's last run said. */
const journal = (unit: string) =>
  onHost(
    lab,
    HOST,
    `journalctl -b --no-pager -o cat _SYSTEMD_INVOCATION_ID=$(systemctl show -p InvocationID --value ${unit})`,
  );
const snapshots = () => snapshotsOnNas(lab, secrets, HOST, DATASET);

/** The entry's page as mkdocs serves it (it builds the site when it starts). */
async function entryPage(): Promise<string> {
  const url = `http://${lab.host(HOST).address}:8001/${entriesDir}/${ENTRY}/`;
  const deadline = Date.now() + DEADLINE_PAGE_MS;
  for (;;) {
    const page = await fetch(url).then(
      (r) => (r.ok ? r.text() : ""),
      () => "",
    );
    if (page.includes(marker) || Date.now() > deadline) return page;
    await sleep(500);
  }
}

before(async () => {
  lab = await ensureLab();
  secrets = labSecrets();
  lyra = new LabConverger(HOST, SERVICES, labConnection(lab, HOST, "deploy"), secrets);
  await nasPlugged(lab, true);
  // The host first: a lyra left converged by an earlier run backs up 2 min after the lab boots
  // (its timer's OnActiveSec), and in CI at 6c4041b a snapshot taken at that moment, after the
  // forget below, made the "first deploy" restore one.
  await wipeHost(HOST);
  // No earlier backup of this data set from lyra: a repository left by other tests is kept.
  const present = await resticOnNas(lab, secrets, ["cat", "config"]).then(
    () => true,
    () => false,
  );
  const earlier = present ? (await snapshots()).map((s) => s.id) : [];
  if (earlier.length > 0) await resticOnNas(lab, secrets, ["forget", "--prune", ...earlier]);
});

after(async () => {
  await nasPlugged(lab, true);
  await closeAllHostConnections();
});

describe(`lab: the docs' incident entries on ${HOST}`, () => {
  it("a first deploy has nothing to restore and serves the site", async () => {
    await lyra.converge();
    assert.match(
      await journal(RESTORE),
      /no backup of mkdocs-incidents from lyra yet|no repository at .* yet \(a first deploy\)/,
    );
    assert.equal((await onHost(lab, HOST, `systemctl is-active ${RESTORE} mkdocs.service`)).trim(), "active\nactive");
  });

  it("backs up an entry `npm run record` wrote, without the index pulumi up writes", async () => {
    await onHost(lab, HOST, `printf '# Runbook %s\\n\\n${marker}\\n' ${ENTRY} > ${ENTRIES}/${ENTRY}.md `);
    const started = await backupNow(lab, HOST, DATASET);
    if (started.code !== 0) assert.fail(`the backup failed:\n${await journal(`lyra-backup-${DATASET}.service`)}`);
    const taken = await snapshots();
    assert.equal(taken.length, 1);
    const files = (await resticOnNas(lab, secrets, ["ls", taken[0].id])).split("\n");
    assert.ok(files.includes(`/${ENTRY}.md`), `the entry is in the snapshot: ${files.join(" ")}`);
    assert.ok(!files.includes("/index.md"), "the index pulumi up writes is not");
  });

  it("a re-flashed lyra gets the entry back before mkdocs first starts, and serves it", async () => {
    await wipeHost(HOST);
    lyra.forget();
    await lyra.converge();
    assert.match(await journal(RESTORE), /restored \/opt\/lyra\/docs\/docs\/entries from snapshot/);
    assert.match(await onHost(lab, HOST, `cat ${ENTRIES}/${ENTRY}.md`), new RegExp(marker));
    const order = await onHost(
      lab,
      HOST,
      `systemctl show -p ExecMainExitTimestampMonotonic --value ${RESTORE}; systemctl show -p ExecMainStartTimestampMonotonic --value mkdocs.service`,
    );
    const [restored, started] = order.trim().split("\n").map(Number);
    assert.ok(restored > 0 && started > restored, `restored (${restored}) before mkdocs started (${started})`);
    assert.match(await entryPage(), new RegExp(marker));
  });
});
