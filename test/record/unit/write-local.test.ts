/** `record --docs <dir>`: the entries directory is made under the docs tree, or the reason it cannot be is named. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { writeLocal } from "../../../src/record/write";

const root = join(__dirname, "..", "..", "..");
const docs = mkdtempSync(join(tmpdir(), "lyra-record-docs-"));
after(() => rmSync(docs, { recursive: true, force: true }));

test("a new day's file starts with its header; the next entry is appended", () => {
  const first = writeLocal(docs, "2026-12-07-runbook.md", "# Day", "## one\n");
  assert.deepEqual(first, { where: join(docs, "entries", "2026-12-07-runbook.md"), appended: false });
  assert.equal(writeLocal(docs, "2026-12-07-runbook.md", "# Day", "## two\n").appended, true);
  assert.equal(readFileSync(first.where, "utf8"), "# Day\n## one\n\n## two\n");
});

test("a docs tree where no directory can be made fails naming it, and does not hang", () => {
  // In a child: node's recursive mkdir looped for ever on procfs, which would block this runner.
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "-e", `require("./src/record/write").writeLocal("/proc", "x.md", "# h", "s")`],
    { cwd: root, encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /--docs: cannot create \/proc\/entries \(no directory can be made there\)/);
});
