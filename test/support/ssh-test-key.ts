/**
 * Throwaway ed25519 keys for tests, made in memory with node:crypto (no ssh-keygen, no files): the
 * private key in OpenSSH's own format (what `ssh-keygen -t ed25519 -N ''` writes, what the
 * config-sync-ssh-key secret holds) and its public key line computed independently of lyra-fleet's key reader.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";

export interface TestSshKey {
  /** "-----BEGIN OPENSSH PRIVATE KEY-----..." with a trailing newline, unencrypted. */
  privateKey: string;
  /** "ssh-ed25519 AAAA..." without a comment. */
  publicKey: string;
}

/** SSH wire format (RFC 4251): uint32 length, then the bytes. */
const sshString = (data: Buffer | string): Buffer => {
  const bytes = Buffer.from(data);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};
const uint32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

export function testSshKey(comment = "lyra-fleet test key"): TestSshKey {
  // Encoded by the generation itself, not exported from the key it returns: on Node 20 that export
  // can deadlock the process (seen once in CI: the export holds the key's lock while it allocates,
  // and a garbage collection then finalizes the spent generation job, which takes the same lock).
  const { privateKey, publicKey } = generateKeyPairSync("ed25519", {
    privateKeyEncoding: { type: "pkcs8", format: "der" },
    publicKeyEncoding: { type: "spki", format: "der" },
  });
  // PKCS#8 ends in the 32-byte seed, SPKI in the 32-byte public key (RFC 8410).
  const seed = privateKey.subarray(-32);
  const pub = publicKey.subarray(-32);
  const publicBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);

  // PROTOCOL.key: check integers, the key, its comment, then padding 1, 2, 3... to the block size.
  const check = randomBytes(4);
  let section = Buffer.concat([
    check,
    check,
    sshString("ssh-ed25519"),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const padding = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    uint32(1),
    sshString(publicBlob),
    sshString(section),
  ]).toString("base64");
  const lines = body.match(/.{1,70}/g)!;
  return {
    privateKey: ["-----BEGIN OPENSSH PRIVATE KEY-----", ...lines, "-----END OPENSSH PRIVATE KEY-----", ""].join("\n"),
    publicKey: `ssh-ed25519 ${publicBlob.toString("base64")}`,
  };
}
