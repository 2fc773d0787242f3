/**
 * The ssh-public-key secret token: the OpenSSH public key line of a secret private key (the mirrors'
 * config-sync key, authorized on the config source). Keys are made in memory by node:crypto and the
 * expected lines computed from node's own view of the key, independently of the key reader that resolves them
 * (src/render/ssh-public-key.ts; test/render/tools/ssh-keygen-keys.test.ts holds it to ssh-keygen -y).
 * OpenSSH itself (ssh-keygen -y, sshd) checks the same resolution in test/services/config-sync/tools/config-sync-login.test.ts.
 */
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import {
  hasSecrets,
  maskSecrets,
  resolveSecrets,
  secretKeysIn,
  secretToken,
  sshPublicKeyToken,
} from "../../src/render/secrets";
import { testSshKey } from "../support/ssh-test-key";

const key = "config-sync-ssh-key";

test("the token names its key, masks to a placeholder and resolves to the public key line", () => {
  const ed = testSshKey();
  const content = `restrict ${sshPublicKeyToken(key)} comment\n`;
  assert.equal(sshPublicKeyToken(key), "@@secret-ssh-public-key:config-sync-ssh-key@@");
  assert.deepEqual(secretKeysIn(content), [key]);
  assert.ok(hasSecrets(content));
  assert.equal(maskSecrets(content), "restrict <ssh-public-key of secret config-sync-ssh-key> comment\n");
  const resolved = resolveSecrets(content, { [key]: ed.privateKey });
  assert.equal(resolved, `restrict ${ed.publicKey} comment\n`);
  assert.match(ed.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}$/);
  assert.equal(resolveSecrets(content, { [key]: ed.privateKey }), resolved, "deterministic: a no-op stays a no-op");
  assert.notEqual(resolveSecrets(content, { [key]: testSshKey().privateKey }), resolved, "another key, another line");
});

test("the plain value and the public key of one secret resolve side by side", () => {
  const ed = testSshKey();
  const content = `${secretToken(key)}|${sshPublicKeyToken(key)}`;
  assert.deepEqual(secretKeysIn(content), [key]);
  assert.equal(maskSecrets(content), `<secret ${key}>|<ssh-public-key of secret ${key}>`);
  assert.equal(resolveSecrets(content, { [key]: ed.privateKey }), `${ed.privateKey}|${ed.publicKey}`);
  // Windows line ends and surrounding blank lines, as a pasted secret may have.
  const pasted = `\r\n${ed.privateKey.replace(/\n/g, "\r\n")}\r\n`;
  assert.equal(resolveSecrets(sshPublicKeyToken(key), { [key]: pasted }), ed.publicKey);
});

/** RFC 4251 string and mpint, to build the ssh-rsa public blob from node's view of the key. */
const sshString = (b: Buffer) =>
  Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (b.length >>> (24 - 8 * i)) & 0xff)), b]);
const mpint = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const trimmed = b.subarray(i);
  return sshString(trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
};

test("an RSA key in the older PEM format resolves too", () => {
  // Encoded by the generation itself (see ../support/ssh-test-key.ts: exporting a key that
  // generateKeyPairSync returned can deadlock Node 20); the JWK comes from a key read back.
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const jwk = createPublicKey(publicKey).export({ format: "jwk" });
  const blob = Buffer.concat([
    sshString(Buffer.from("ssh-rsa")),
    mpint(Buffer.from(jwk.e!, "base64url")),
    mpint(Buffer.from(jwk.n!, "base64url")),
  ]);
  assert.match(privateKey, /^-----BEGIN RSA PRIVATE KEY-----/);
  assert.equal(resolveSecrets(sshPublicKeyToken(key), { [key]: privateKey }), `ssh-rsa ${blob.toString("base64")}`);
});

test("errors name the secret and what is expected, never its value", () => {
  const resolve = (value: string) => () => resolveSecrets(`x ${sshPublicKeyToken(key)}`, { [key]: value });
  const neverQuoting = (value: string, expected: RegExp) => (e: unknown) => {
    const message = (e as Error).message;
    assert.match(message, expected);
    for (const part of value.split(/\s+/).filter((p) => p.length > 8))
      assert.ok(!message.includes(part), `the message quotes the value: ${message}`);
    return true;
  };
  assert.throws(
    () => resolveSecrets(sshPublicKeyToken(key), {}),
    /^Error: secret 'config-sync-ssh-key' is not set \(pulumi config set --secret config-sync-ssh-key\)$/,
  );

  const garbage = "T3st-not-a-key-Pw-0123456789";
  assert.throws(
    resolve(garbage),
    neverQuoting(
      garbage,
      /^secret 'config-sync-ssh-key' is not an SSH private key \(OpenSSH's format, or an RSA or EC key in PEM\): expected an unencrypted OpenSSH private key/,
    ),
  );

  const { privateKey: encrypted } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem", cipher: "aes-256-cbc", passphrase: "T3st-passphrase" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  assert.throws(
    resolve(encrypted),
    neverQuoting(encrypted, /^secret 'config-sync-ssh-key' is encrypted with a passphrase: expected an unencrypted/),
  );

  const ed = testSshKey();
  assert.throws(
    resolve(`${ed.publicKey} me@laptop`),
    neverQuoting(ed.publicKey, /^secret 'config-sync-ssh-key' is a public key: expected the private key/),
  );

  // What node writes by default (PKCS#8) is not what ssh-keygen writes: named, not guessed at.
  const pkcs8 = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  assert.throws(resolve(pkcs8), neverQuoting(pkcs8, /is not an SSH private key/));
});

test("a malformed token is an internal error, not a leak of the plain value", () => {
  for (const token of [`@@secret-ssh-public-key(u):${key}@@`, `@@secret-mosquitto-hash:${key}@@`]) {
    assert.deepEqual(secretKeysIn(token), [key], "still recognised as a secret");
    assert.throws(
      () => resolveSecrets(token, { [key]: "T3st-value" }),
      (e: Error) =>
        /^internal: malformed secret token for 'config-sync-ssh-key'/.test(e.message) && !e.message.includes("T3st"),
    );
  }
});
