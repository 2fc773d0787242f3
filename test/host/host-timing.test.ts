import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readHostWaits, recordHostWait } from "../../src/host/transport/timing";

test("host waits are logged only when LYRA_HOST_TIMING_LOG names a file, and read back in order", () => {
  const log = join(mkdtempSync(join(tmpdir(), "lyra-timing-")), "waits.log");
  const before = process.env.LYRA_HOST_TIMING_LOG;
  try {
    delete process.env.LYRA_HOST_TIMING_LOG;
    recordHostWait("vega", 1, 2);
    assert.deepEqual(readHostWaits(log), []);
    process.env.LYRA_HOST_TIMING_LOG = log;
    recordHostWait("vega", 1000, 1250);
    recordHostWait("mirror-12", 1100, 1900);
    assert.deepEqual(readHostWaits(log), [
      { host: "vega", startMs: 1000, endMs: 1250 },
      { host: "mirror-12", startMs: 1100, endMs: 1900 },
    ]);
  } finally {
    if (before === undefined) delete process.env.LYRA_HOST_TIMING_LOG;
    else process.env.LYRA_HOST_TIMING_LOG = before;
  }
});
