/**
 * `npm run record` end to end: a real verify (real mosquitto, the mirrors' real mqtt-client.sh)
 * recorded into the fleet's generated docs tree, then the real `mkdocs build --strict` (Debian's
 * mkdocs, with the site's entries hook) must accept it and list the entry.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { entryFileName } from "../../../src/record/entry";
import { planFleet } from "../../../src/render";
import { renderDocsTree } from "../../../src/render/docs/site";
import type { JsonOutput } from "../../../src/verify/format";
import type { TestBroker } from "../../verify/support/broker";
import { runCli } from "../../verify/support/cli";
import { startLiveFleet, type LiveFleet } from "../../verify/support/live-fleet";
import type { TestStack } from "../../verify/support/stack";

let scratch: string | undefined;
let live: LiveFleet | undefined;
let stack: TestStack;
let broker: TestBroker;
let identity: string;
let env: NodeJS.ProcessEnv;

/** The fleet's docs site as the docs host gets it (mkdocs.yml, the entries hook, the pages). */
function docsTree(): string {
  const dir = mkdtempSync(join(stack.dir, "site-"));
  const docsHost = stack.fleet.hosts.find((h) => h.services.mkdocs)!;
  for (const f of renderDocsTree(stack.fleet, docsHost, planFleet(stack.fleet))) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  return dir;
}

function mkdocsBuild(dir: string): string {
  const r = spawnSync("mkdocs", ["build", "--strict", "--site-dir", join(dir, "site")], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.error) throw new Error(`mkdocs could not run (Debian's mkdocs package): ${r.error.message}`);
  const output = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, `mkdocs build --strict failed:\n${output}`);
  assert.doesNotMatch(output, /WARNING/, output);
  return output;
}

/** Today's file name, tolerant of a run that crosses midnight in the site's zone. */
function todaysFile(docs: string): string {
  const tz = stack.fleet.site.timezone;
  const names = [entryFileName(new Date(Date.now() - 120_000), tz), entryFileName(new Date(), tz)];
  const found = names.map((n) => join(docs, "entries", n)).find((p) => existsSync(p));
  assert.ok(found, `no entry among ${names.join(", ")}`);
  return found;
}

describe("record", { timeout: 5 * 60_000 }, () => {
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), "lyra-record-"));
    live = await startLiveFleet(scratch);
    ({ stack, broker, identity, env } = live);
    await new Promise((r) => setTimeout(r, 2500));
  });

  after(async () => {
    await live?.stop();
    // The stack's passwords and an SSH private key.
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("writes today's entry from a live verify, appends a second one, and mkdocs --strict builds and lists it", async () => {
    const site = docsTree();
    const docs = join(site, "docs");
    const action =
      "Restarted the broker after the power cut | <script>alert(1)</script> [x](y) #\nsystemctl restart mqtt-broker";
    const first = await runCli(
      "record",
      [
        "--stack-file",
        stack.file,
        "--action",
        action,
        "--docs",
        docs,
        "--scenario",
        "broker failure",
        "--identity",
        identity,
        "--timeout",
        "2",
      ],
      env,
    );
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /^record: wrote .*-runbook\.md$/m);
    const second = await runCli(
      "record",
      [
        "--stack-file",
        stack.file,
        "--action",
        "Checked the mirrors again",
        "--docs",
        docs,
        "--identity",
        identity,
        "--timeout",
        "2",
      ],
      env,
    );
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /^record: appended a section to .*-runbook\.md$/m);

    const file = todaysFile(docs);
    const entry = readFileSync(file, "utf8");
    assert.equal(entry.match(/^# \d{4}-\d{2}-\d{2}: runbook$/gm)?.length, 1, "one day header");
    const sections = entry.match(/^## \d{2}:\d{2}:\d{2} \S+: .+$/gm) ?? [];
    assert.equal(sections.length, 2, entry);
    assert.match(sections[1], /Checked the mirrors again$/);
    assert.match(entry, /- scenario: broker failure/);
    assert.match(
      entry,
      /- systems affected: `lyra`, `mirror-1`, `vega`/,
      "hosts with failing checks (no sshd runs here)",
    );
    assert.match(entry, /\| time to recovery \| not measured/);
    assert.match(entry, /\| `vega` \| `mqtt round trip on lyra\/test` \| pass: echoed in \d+ ms \|/);
    assert.match(entry, /\| shared cause \| host unreachable: lyra \(root@127\.0\.0\.64:22\)/);
    for (const pw of Object.values(stack.passwords)) assert.ok(!entry.includes(pw), "a password in the entry");

    mkdocsBuild(site);
    const day = file.split("/").pop()!.replace(/\.md$/, "");
    const page = readFileSync(join(site, "site", "entries", day, "index.html"), "utf8");
    assert.doesNotMatch(page, /<script>alert/, "the action's HTML is escaped");
    const index = readFileSync(join(site, "site", "entries", "index.html"), "utf8");
    assert.match(
      index,
      new RegExp(`<a href="${day}/">${day.slice(0, 10)}: runbook</a>`),
      "entries/index lists the entry",
    );
  });

  test("with a saved `verify --watch --json`, the entry carries the time to recovery", async () => {
    await broker.stop();
    const watching = runCli(
      "verify",
      ["--stack-file", stack.file, "--only", "mqtt", "--watch", "--deadline", "60", "--json"],
      env,
    );
    await broker.verifyTriedWhileDown();
    await broker.start();
    const run = await watching;
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const results = join(stack.dir, "verify.json");
    writeFileSync(results, run.stdout);
    const ttr = (JSON.parse(run.stdout) as JsonOutput).watch!.timeToRecoveryMs!;

    const site = docsTree();
    const rec = await runCli(
      "record",
      [
        "--stack-file",
        stack.file,
        "--action",
        "Broker back after a restart",
        "--docs",
        join(site, "docs"),
        "--results",
        results,
      ],
      env,
    );
    assert.equal(rec.code, 0, rec.stdout + rec.stderr);
    const entry = readFileSync(todaysFile(join(site, "docs")), "utf8");
    const shown = ttr < 1000 ? `${ttr} ms` : `${(ttr / 1000).toFixed(1)} s`;
    assert.ok(entry.includes(`| time to recovery | ${shown} (`), `time to recovery ${shown} not in:\n${entry}`);
    assert.match(entry, /\| result \| all 6 checks passed \|/);
    mkdocsBuild(site);
  });

  test("usage errors are one sentence and exit 2; a missing docs dir is named", async () => {
    const noAction = await runCli("record", ["--stack-file", stack.file], env);
    assert.equal(noAction.code, 2);
    assert.match(noAction.stderr, /^record: --action is required: what was done, in a sentence$/m);
    assert.doesNotMatch(noAction.stderr, /\n\s+at /, "no stack trace");
    const results = join(stack.dir, "verify.json");
    const badDocs = await runCli(
      "record",
      ["--stack-file", stack.file, "--action", "x", "--docs", join(stack.dir, "nope"), "--results", results],
      env,
    );
    assert.equal(badDocs.code, 1);
    assert.match(badDocs.stderr, /^record: --docs: .*nope is not a directory/m);
  });
});
