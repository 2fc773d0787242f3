/** The render core: secret tokens, mosquitto hashes, the unit writer, plan assembly. */
import assert from "node:assert/strict";
import { pbkdf2Sync } from "node:crypto";
import { test } from "node:test";
import { assemblePlan } from "../../src/render/assemble";
import {
  jsonStringSecretToken,
  maskSecrets,
  mosquittoHashToken,
  mosquittoPasswordHash,
  resolveSecrets,
  secretKeysIn,
  secretToken,
} from "../../src/render/secrets";
import { dropInFile, hardened, unitFile } from "../../src/render/systemd";
import { loadStackFile } from "../../src/model/load";

test("tokens resolve to values, mask to their names, and a missing secret names only its key", () => {
  const content = `user a\npassword ${secretToken("mqtt-password-a")}\nhash ${mosquittoHashToken("mqtt-password-a", "a")}\n`;
  assert.deepEqual(secretKeysIn(content), ["mqtt-password-a"]);
  assert.equal(
    maskSecrets(content),
    "user a\npassword <secret mqtt-password-a>\nhash <mosquitto-hash of secret mqtt-password-a>\n",
  );
  const resolved = resolveSecrets(content, { "mqtt-password-a": "s3cret" });
  assert.match(resolved, /^password s3cret$/m);
  assert.match(resolved, /^hash \$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/m);
  assert.throws(() => resolveSecrets(content, {}), /secret 'mqtt-password-a' is not set/);
});

test("mosquitto hashes are PBKDF2-SHA512 with a salt that is stable per user and secret", () => {
  const h = mosquittoPasswordHash("mirror-1", "pw");
  assert.equal(h, mosquittoPasswordHash("mirror-1", "pw"), "deterministic: a no-op stays a no-op");
  assert.notEqual(h, mosquittoPasswordHash("mirror-2", "pw"), "salt differs per user");
  const [, , iterations, salt, hash] = h.split("$");
  const expected = pbkdf2Sync("pw", Buffer.from(salt, "base64"), Number(iterations), 64, "sha512").toString("base64");
  assert.equal(hash, expected);
  assert.equal(Buffer.from(salt, "base64").length, 12);
});

test("unit files: sections in order, booleans as yes/no, arrays repeat the key, undefined omitted", () => {
  const text = unitFile({
    Unit: { Description: "d", After: undefined },
    Service: { NoNewPrivileges: true, SystemCallFilter: ["@system-service", "~@privileged"] },
  });
  assert.equal(
    text.split("\n").slice(1).join("\n"),
    "\n[Unit]\nDescription=d\n\n[Service]\nNoNewPrivileges=yes\nSystemCallFilter=@system-service\nSystemCallFilter=~@privileged\n",
  );
  assert.equal(hardened({ ProtectSystem: "full" }).ProtectSystem, "full");
  assert.equal(hardened().CapabilityBoundingSet, "");
});

test("drop-ins reset every additive setting they name, so a packaged unit's own list cannot widen it", () => {
  const text = dropInFile({
    Service: {
      CapabilityBoundingSet: "CAP_SYS_TIME",
      SystemCallFilter: ["@system-service", "~@chown"],
      DeviceAllow: "",
      ProtectSystem: "strict",
    },
  });
  assert.equal(
    text.split("\n").slice(1).join("\n"),
    "\n[Service]\nCapabilityBoundingSet=\nCapabilityBoundingSet=CAP_SYS_TIME\nSystemCallFilter=\nSystemCallFilter=@system-service\nSystemCallFilter=~@chown\nDeviceAllow=\nProtectSystem=strict\n",
  );
});

test("plan assembly sorts, dedupes identical declarations and refuses conflicting ones", () => {
  const host = loadStackFile("stacks/Pulumi.home.yaml").hosts[0];
  const file = (path: string, content: string) => ({
    path,
    content,
    mode: "0644",
    owner: "root",
    group: "root",
    restarts: ["b.service", "a.service"],
  });
  const plan = assemblePlan(host, [
    { packages: ["b", "a"], files: [file("/z", "1"), file("/a", "1")] },
    { packages: ["a"], files: [file("/a", "1")] },
  ]);
  assert.deepEqual(plan.packages, ["a", "b"]);
  assert.deepEqual(
    plan.files.map((f) => f.path),
    ["/a", "/z"],
  );
  assert.deepEqual(plan.files[0].restarts, ["a.service", "b.service"]);
  assert.throws(
    () => assemblePlan(host, [{ files: [file("/a", "1")] }, { files: [file("/a", "2")] }]),
    /two renderers declare file '\/a' differently on host 'lyra'/,
  );
});

test("a JSON-string token keeps JSON valid whatever the secret holds", () => {
  const content = JSON.stringify({ password: jsonStringSecretToken("mqtt-password-nodered") });
  const hostile = 'a"b\\c\n}';
  assert.equal(JSON.parse(resolveSecrets(content, { "mqtt-password-nodered": hostile })).password, hostile);
  assert.equal(maskSecrets(content), '{"password":"<json-string of secret mqtt-password-nodered>"}');
});
