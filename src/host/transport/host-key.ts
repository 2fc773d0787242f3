/**
 * Pinned SSH host keys: parsing the OpenSSH public key line the stack pins, and fingerprints in the
 * form `ssh-keygen -lf` prints, so an operator can compare them with what a host shows.
 */
import { createHash } from "crypto";

/** A pinned host key, parsed from an OpenSSH public key line ("ssh-ed25519 AAAA... comment"). */
export interface PinnedHostKey {
  /** Key type as written in the line, e.g. "ssh-ed25519". */
  type: string;
  /** The key blob (SSH wire format), compared byte for byte with what the host presents. */
  blob: Buffer;
  /** "SHA256:..." as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/**
 * Host key algorithms to offer for each pinned key type. The pinned type goes first so a host that
 * has several keys presents the pinned one; the others follow so a host that lacks that type still
 * presents *a* key, and the refusal can show both fingerprints instead of a bare "no matching
 * host key format".
 */
const ALGORITHMS_BY_KEY_TYPE: Record<string, string[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/** The key types a pin may have. */
export const SUPPORTED_HOST_KEY_TYPES = Object.keys(ALGORITHMS_BY_KEY_TYPE);

/** "SHA256:<base64 without padding>" of a key blob, as OpenSSH prints it. */
export function sha256Fingerprint(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The key type written inside a blob (its first SSH string), or undefined if it is not one. */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  return blob.subarray(4, 4 + length).toString("latin1");
}

/**
 * Parses a pinned key line. Returns a problem description (no key material in it) instead of
 * throwing, so callers can name the field and the host.
 */
export function parsePinnedHostKey(line: string): PinnedHostKey | string {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 2 || fields[0] === "") {
    return `expected an OpenSSH public key line such as "ssh-ed25519 AAAAC3Nza... root@host", got ${fields.length} field(s)`;
  }
  const [type, base64] = fields;
  if (!(type in ALGORITHMS_BY_KEY_TYPE)) {
    return `unsupported key type "${type}" (supported: ${SUPPORTED_HOST_KEY_TYPES.join(", ")})`;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return "the key's second field is not base64";
  const blob = Buffer.from(base64, "base64");
  const innerType = keyTypeOfBlob(blob);
  if (innerType !== type) {
    return `the key data says "${innerType ?? "nothing readable"}" but the line says "${type}"`;
  }
  return { type, blob, fingerprint: sha256Fingerprint(blob) };
}

/** Host key algorithms to offer when the pin is of `type`: the pinned type first, then the rest. */
export function hostKeyAlgorithmsFor(type: string): string[] {
  const preferred = ALGORITHMS_BY_KEY_TYPE[type] ?? [];
  const others = Object.entries(ALGORITHMS_BY_KEY_TYPE)
    .filter(([other]) => other !== type)
    .flatMap(([, algorithms]) => algorithms);
  return [...preferred, ...others];
}
