/** Files an operator names are read only when regular, and only up to a size: nothing blocks or reads for ever. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileErrorReason, readRegularFile } from "../../src/model/read-file";

const dir = mkdtempSync(join(tmpdir(), "read-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const reasonOf = (path: string, maxBytes: number): string => {
  try {
    readRegularFile(path, maxBytes);
  } catch (err) {
    return fileErrorReason(err);
  }
  assert.fail(`${path} was read`);
};

test("a regular file is read whole, up to and including its limit", () => {
  const file = join(dir, "ten");
  writeFileSync(file, "0123456789");
  assert.equal(readRegularFile(file, 10), "0123456789");
  assert.equal(readRegularFile(file, 1000), "0123456789");
  assert.equal(reasonOf(file, 9), "larger than 9 bytes");
  writeFileSync(join(dir, "empty"), "");
  assert.equal(readRegularFile(join(dir, "empty"), 10), "");
});

test("a file that reports no size is read to its end (procfs)", () => {
  const status = readRegularFile("/proc/self/status", 1024 * 1024);
  assert.match(status, /^Name:/);
  assert.match(status, /\nPid:\s+\d+\n/);
  assert.equal(reasonOf("/proc/self/status", 16), "larger than 16 bytes");
});

test("devices, FIFOs and directories are refused without reading or waiting", () => {
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  assert.equal(reasonOf("/dev/zero", 1024), "not a regular file");
  assert.equal(reasonOf(fifo, 1024), "not a regular file");
  assert.equal(reasonOf(dir, 1024), "it is a directory");
  assert.equal(reasonOf(join(dir, "missing"), 1024), "no such file");
  assert.equal(reasonOf(join(dir, "fifo", "x"), 1024), "a part of the path is not a directory");
});

test("node's own errors are put in words", () => {
  assert.equal(fileErrorReason(Object.assign(new Error(), { code: "EACCES" })), "permission denied");
  assert.equal(fileErrorReason(Object.assign(new Error(), { code: "EIO" })), "error EIO");
  assert.equal(fileErrorReason(new Error("no code")), "error reading it");
});
