/** The CLIs' files and directories: made level by level, with reasons in words. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { makeDirectories, readFlagFile } from "../../src/cli/files";
import { UsageError } from "../../src/cli/args";

const dir = mkdtempSync(join(tmpdir(), "cli-files-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("makeDirectories makes every missing level, and an existing directory is left as it is", () => {
  const deep = join(dir, "a", "b", "c");
  makeDirectories(deep);
  assert.ok(statSync(deep).isDirectory());
  writeFileSync(join(deep, "kept"), "x");
  makeDirectories(join(dir, "a"));
  assert.equal(readFileSync(join(deep, "kept"), "utf8"), "x");
});

test("makeDirectories names the level it could not make", () => {
  const file = join(dir, "file");
  writeFileSync(file, "");
  assert.throws(
    () => makeDirectories(join(file, "x", "y")),
    /^Error: cannot create .*\/file\/x \(a part of the path is not a directory\)$/,
  );
});

test("readFlagFile names the flag and why, never the content", () => {
  const secret = join(dir, "key");
  writeFileSync(secret, "hunter2");
  assert.equal(readFlagFile("--identity", secret, 100), "hunter2");
  for (const [path, reason] of [
    [join(dir, "missing"), "no such file"],
    [dir, "it is a directory"],
    ["/dev/zero", "not a regular file"],
  ]) {
    assert.throws(
      () => readFlagFile("--identity", path, 100),
      (err: unknown) => err instanceof UsageError && err.message === `--identity: cannot read ${path} (${reason})`,
    );
  }
});
