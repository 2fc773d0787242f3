import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { readHostWaits, recordHostWait } from "../../src/host/transport/timing";

test("host waits are logged only when LYRA_HOST_TIMING_LOG names a file, and read back in order with their purpose", () => {
  const log = join(mkdtempSync(join(tmpdir(), "lyra-timing-")), "waits.log");
  const before = process.env.LYRA_HOST_TIMING_LOG;
  try {
    delete process.env.LYRA_HOST_TIMING_LOG;
    recordHostWait("vega", 1, 2, "read host state");
    assert.deepEqual(readHostWaits(log), []);
    process.env.LYRA_HOST_TIMING_LOG = log;
    recordHostWait("vega", 1000, 1250, "read host state");
    // A purpose is one field of one line, whatever whitespace it holds.
    recordHostWait("mirror-12", 1100, 1900, "apt-get install curl\tmosquitto\nrestic");
    recordHostWait("lyra", 1200, 1300, "health gate mqtt s3cr3t-token", ["s3cr3t-token"]);
    assert.deepEqual(readHostWaits(log), [
      { host: "vega", startMs: 1000, endMs: 1250, purpose: "read host state" },
      { host: "mirror-12", startMs: 1100, endMs: 1900, purpose: "apt-get install curl mosquitto restic" },
      { host: "lyra", startMs: 1200, endMs: 1300, purpose: "health gate mqtt [secret]" },
    ]);
  } finally {
    if (before === undefined) delete process.env.LYRA_HOST_TIMING_LOG;
    else process.env.LYRA_HOST_TIMING_LOG = before;
    rmSync(dirname(log), { recursive: true, force: true });
  }
});
