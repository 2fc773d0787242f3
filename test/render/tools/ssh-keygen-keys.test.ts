/**
 * The public key line lyra-fleet reads from a private key (src/render/ssh-public-key.ts) is what
 * OpenSSH's own `ssh-keygen -y` prints, for every key type ssh-keygen makes, in OpenSSH's format
 * and in the older PEM; and a key that is damaged, locked or more than one is refused.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { sshPublicKeyLine } from "../../../src/render/secrets";

const dir = mkdtempSync(join(tmpdir(), "lyra-keygen-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A key made by ssh-keygen, and the line `ssh-keygen -y` prints for it (without its comment). */
function keygen(name: string, args: string[]): { privateKey: string; expected: string } {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-N", "", "-C", "", "-f", file, ...args]);
  const expected = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim().split(" ").slice(0, 2);
  return { privateKey: readFileSync(file, "utf8"), expected: expected.join(" ") };
}

const kinds: [string, string[]][] = [
  ["ed25519", ["-t", "ed25519"]],
  ["rsa", ["-t", "rsa", "-b", "2048"]],
  ["ecdsa-256", ["-t", "ecdsa", "-b", "256"]],
  ["ecdsa-384", ["-t", "ecdsa", "-b", "384"]],
  ["ecdsa-521", ["-t", "ecdsa", "-b", "521"]],
  ["rsa-pem", ["-t", "rsa", "-b", "2048", "-m", "PEM"]],
  ["ecdsa-pem", ["-t", "ecdsa", "-b", "256", "-m", "PEM"]],
];

for (const [name, args] of kinds) {
  test(`${name}: the line ssh-keygen -y prints`, () => {
    const { privateKey, expected } = keygen(name, args);
    assert.equal(sshPublicKeyLine("k", privateKey), expected);
    assert.equal(sshPublicKeyLine("k", `\r\n${privateKey.replace(/\n/g, "\r\n")}`), expected, "pasted with CRLF");
  });
}

test("a damaged, locked or doubled OpenSSH key is refused, naming the secret and never quoting it", () => {
  const { privateKey } = keygen("damaged", ["-t", "ed25519"]);
  const body = privateKey.split("\n").slice(1, -2).join("");
  const data = Buffer.from(body, "base64");
  const pem = (bytes: Buffer) =>
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${bytes.toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`;
  const refused = (value: string, expected: RegExp) =>
    assert.throws(
      () => sshPublicKeyLine("nasSshKey", value),
      (e: Error) =>
        expected.test(e.message) && e.message.startsWith("secret 'nasSshKey' ") && !e.message.includes(body),
    );

  refused(pem(data.subarray(0, data.length - 40)), /is not an SSH private key/);
  refused(pem(data.subarray(0, 30)), /is not an SSH private key/);
  const magic = Buffer.from(data);
  magic[0] ^= 1;
  refused(pem(magic), /is not an SSH private key/);
  // The private section's two check words must agree (OpenSSH's own test of a whole, decrypted key).
  const checkWords = Buffer.from(data);
  checkWords[privateSectionOffset(data)] ^= 1;
  refused(pem(checkWords), /is not an SSH private key/);

  keygen("locked", ["-t", "ed25519"]);
  execFileSync("ssh-keygen", ["-q", "-p", "-N", "T3st-passphrase", "-f", join(dir, "locked")]);
  refused(readFileSync(join(dir, "locked"), "utf8"), /is encrypted with a passphrase/);

  // Two keys in one file (the format allows it; ssh does not read it as one identity).
  const doubled = Buffer.from(data);
  doubled.writeUInt32BE(2, keyCountOffset(data));
  refused(pem(doubled), /holds 2 keys: expected exactly one/);
});

/** Offset of the key count: after the magic and three strings (cipher, KDF, KDF options). */
function keyCountOffset(data: Buffer): number {
  let offset = "openssh-key-v1\0".length;
  for (let i = 0; i < 3; i++) offset += 4 + data.readUInt32BE(offset);
  return offset;
}

/** Offset of the private section's first check word: after the key count and the public key. */
function privateSectionOffset(data: Buffer): number {
  let offset = keyCountOffset(data) + 4;
  offset += 4 + data.readUInt32BE(offset); // the public key
  return offset + 4; // past the private section's length
}
