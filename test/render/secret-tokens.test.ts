/** Which contents hold secret tokens: every kind of token counts, text that only looks like one does not. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  hasSecrets,
  jsonStringSecretToken,
  mosquittoHashToken,
  secretKeysIn,
  secretToken,
  sshPublicKeyToken,
} from "../../src/render/secrets";

test("a content holds secrets exactly when it has a token of any kind", () => {
  const tokens = [
    secretToken("mqtt-password"),
    jsonStringSecretToken("nodered-credential-secret"),
    mosquittoHashToken("mqtt-password", "lyra"),
    sshPublicKeyToken("config-sync-key"),
  ];
  for (const token of tokens) {
    assert.equal(hasSecrets(`before ${token} after`), true, token);
    assert.equal(secretKeysIn(`before ${token} after`).length, 1, token);
  }
  for (const plain of [
    "",
    "password=hunter2",
    "@@secret",
    "@@secret:@@",
    "@@secret:Not_A_Key@@",
    "@@secret-other:key@@",
  ]) {
    assert.equal(hasSecrets(plain), false, plain);
    assert.deepEqual(secretKeysIn(plain), [], plain);
  }
});
