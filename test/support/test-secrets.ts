/**
 * Test values for a fleet's secrets: recognizable strings (so a leak is easy to assert), and a
 * real throwaway OpenSSH key where a secret must be a private key (config sync).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sshPrivateKeySecret } from "../../src/model/fleet";
import { configSyncSshKeyKey } from "../../src/services/config-sync/secrets";
import { nasSshKeyKey } from "../../src/services/backup/secrets";

let throwawayKey: string | undefined;

/** One ed25519 private key per test process, made by ssh-keygen. */
export function throwawayPrivateKey(): string {
  if (!throwawayKey) {
    const dir = mkdtempSync(join(tmpdir(), "lyra-test-key-"));
    try {
      const file = join(dir, "id_ed25519");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "lyra-fleet test", "-f", file]);
      throwawayKey = readFileSync(file, "utf8");
    } finally {
      // Callers get the key's text, never its file: a private key has no reason to stay on disk.
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return throwawayKey;
}

const privateKeys = new Set<string>([configSyncSshKeyKey, sshPrivateKeySecret, nasSshKeyKey]);

export function testSecretValues(keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, privateKeys.has(k) ? throwawayPrivateKey() : `TEST-SECRET-${k}-7f3a`]));
}
