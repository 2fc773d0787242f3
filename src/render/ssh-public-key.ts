/**
 * The OpenSSH public key line of a private key, read from the key's own encoding: no SSH library.
 * The program needs this for every run (a secret's public key on the config source, the check of
 * the NAS key before any resource), and ssh2, which parsed keys here before, cost every run 40 ms
 * to load and 15 MB (its crypto module starts a 16 MB WebAssembly instance as it loads).
 *
 * Two formats are read, the two ssh-keygen writes:
 * - OpenSSH's own ("-----BEGIN OPENSSH PRIVATE KEY-----", every key type): its header carries the
 *   public key blob, and the private section must be unencrypted and whole;
 * - the older PEM of an RSA or EC key ("-----BEGIN RSA PRIVATE KEY-----", "EC"): node:crypto reads
 *   the key, and the blob is built from its public numbers (RFC 4253 section 6.6, RFC 5656).
 * Anything else (PKCS#8, a public key, garbage) is refused, naming what was found.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";

/** Why a key is refused: what was found, without quoting any of it. */
export class SshKeyProblem extends Error {}

const OPENSSH_MAGIC = "openssh-key-v1\0";

/** The type and base64 blob of the key's public half: "ssh-ed25519 AAAA...". */
export function publicKeyLine(privateKey: string): string {
  const text = privateKey.replace(/\r\n/g, "\n").trim();
  if (/^(ssh-|ecdsa-|sk-)/.test(text) || /^-----BEGIN (SSH2 |RSA |)PUBLIC KEY-----/.test(text))
    throw new SshKeyProblem("public");
  const pem = /^-----BEGIN ([A-Z0-9 ]+)-----\n([\s\S]*?)\n-----END \1-----$/.exec(text);
  if (!pem) throw new SshKeyProblem("unreadable");
  const [, label, body] = pem;
  if (label === "OPENSSH PRIVATE KEY") return openSshLine(Buffer.from(body.replace(/\s+/g, ""), "base64"));
  if (label === "ENCRYPTED PRIVATE KEY" || /^Proc-Type: 4,ENCRYPTED$/m.test(body)) throw new SshKeyProblem("encrypted");
  if (label === "RSA PRIVATE KEY" || label === "EC PRIVATE KEY") return pemLine(text);
  throw new SshKeyProblem("unreadable");
}

/** Reads RFC 4251 strings and uint32s in turn, refusing to read past the end. */
class WireReader {
  private offset = 0;
  constructor(private readonly data: Buffer) {}
  uint32(): number {
    if (this.offset + 4 > this.data.length) throw new SshKeyProblem("unreadable");
    const value = this.data.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  bytes(): Buffer {
    const length = this.uint32();
    if (this.offset + length > this.data.length) throw new SshKeyProblem("unreadable");
    const value = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  string(): string {
    return this.bytes().toString("latin1");
  }
}

/** OpenSSH's format (PROTOCOL.key in OpenSSH's sources). */
function openSshLine(data: Buffer): string {
  if (data.subarray(0, OPENSSH_MAGIC.length).toString("latin1") !== OPENSSH_MAGIC)
    throw new SshKeyProblem("unreadable");
  const reader = new WireReader(data.subarray(OPENSSH_MAGIC.length));
  const cipher = reader.string();
  const kdf = reader.string();
  reader.bytes(); // the KDF's options
  if (cipher !== "none" || kdf !== "none") throw new SshKeyProblem("encrypted");
  const keys = reader.uint32();
  if (keys !== 1) throw new SshKeyProblem(`keys:${keys}`);
  const blob = reader.bytes();
  const type = new WireReader(blob).string();
  // The private section: two equal check words, then the same key type and its private half.
  const secret = new WireReader(reader.bytes());
  if (secret.uint32() !== secret.uint32() || secret.string() !== type) throw new SshKeyProblem("unreadable");
  return `${type} ${blob.toString("base64")}`;
}

const sshString = (bytes: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};
/** An unsigned big-endian integer as an SSH mpint: no leading zeros, a zero byte if the top bit is set. */
const mpint = (bytes: Buffer): Buffer => {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return sshString(trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
};

const CURVES: Record<string, string> = { "P-256": "nistp256", "P-384": "nistp384", "P-521": "nistp521" };

/** An RSA (PKCS#1) or EC (SEC1) key in PEM. */
function pemLine(pem: string): string {
  let jwk;
  try {
    jwk = createPublicKey(createPrivateKey(pem)).export({ format: "jwk" });
  } catch {
    throw new SshKeyProblem("unreadable");
  }
  const part = (value: string | undefined) => Buffer.from(value ?? "", "base64url");
  if (jwk.kty === "RSA") {
    const blob = Buffer.concat([sshString(Buffer.from("ssh-rsa")), mpint(part(jwk.e)), mpint(part(jwk.n))]);
    return `ssh-rsa ${blob.toString("base64")}`;
  }
  const curve = jwk.kty === "EC" ? CURVES[jwk.crv ?? ""] : undefined;
  if (curve === undefined) throw new SshKeyProblem("unreadable");
  const type = `ecdsa-sha2-${curve}`;
  const point = Buffer.concat([Buffer.from([4]), part(jwk.x), part(jwk.y)]);
  const blob = Buffer.concat([sshString(Buffer.from(type)), sshString(Buffer.from(curve)), sshString(point)]);
  return `${type} ${blob.toString("base64")}`;
}
