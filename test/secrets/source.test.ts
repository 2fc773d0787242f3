/**
 * Where render and verify get secrets: LYRA_SECRET_<KEY> first, else `pulumi config get` for the
 * stack. The Pulumi CLI cannot be installed here, so a stand-in `pulumi` on PATH records how it is
 * called and answers as the CLI does (the value and a newline; exit 1 for a key that is not set).
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readSecrets } from "../../src/secrets/source";

let dir: string;
let savedPath: string | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "lyra-fake-pulumi-"));
  // Knows one secret; every call is logged, one line of arguments each.
  writeFileSync(
    join(dir, "pulumi"),
    `#!/bin/sh
echo "$*" >> "${dir}/calls"
# The real CLI's \`config get\` takes --stack and nothing else of the kind (no --show-secrets).
[ "$1 $2 $3" = "config get --stack" ] && [ $# -eq 5 ] || { echo "error: unknown flag in: $*" >&2; exit 1; }
[ "$5" = "lyra-fleet:mqtt-password-monitor" ] || { echo "error: configuration key '$5' not found for stack '$4'" >&2; exit 255; }
printf 'TEST-SECRET from the stack\\n'
`,
  );
  chmodSync(join(dir, "pulumi"), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${dir}:${savedPath}`;
});

after(() => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

test("a secret not in the environment comes from `pulumi config get` for the stack, without its newline", () => {
  const values = readSecrets("home", ["mqtt-password-monitor", "mqtt-password-vega"], {
    LYRA_SECRET_MQTT_PASSWORD_VEGA: "TEST-SECRET from env",
  });
  assert.deepEqual(values, {
    "mqtt-password-monitor": "TEST-SECRET from the stack",
    "mqtt-password-vega": "TEST-SECRET from env",
  });
  // The environment wins: the CLI is asked only for the key the environment lacks.
  assert.deepEqual(readFileSync(join(dir, "calls"), "utf8").trim().split("\n"), [
    "config get --stack home lyra-fleet:mqtt-password-monitor",
  ]);
});

test("a key the stack does not have is reported missing with both ways to set it, and the CLI's words are not shown", () => {
  assert.throws(
    () => readSecrets("home", ["ups-monitor-password"], {}),
    (err: Error) => {
      assert.equal(
        err.message,
        "missing secrets for stack 'home':\n  - ups-monitor-password: set LYRA_SECRET_UPS_MONITOR_PASSWORD, or run `pulumi config set --secret --stack home ups-monitor-password`",
      );
      return true;
    },
  );
});
