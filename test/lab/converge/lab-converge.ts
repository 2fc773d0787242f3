/**
 * Converge the running lab to stacks/Pulumi.lab.yaml: the program evaluated under mocks declares
 * the resources, the small engine (./engine.ts) applies them through the real providers, and the
 * state is kept between runs like a stack's (in the lab's directory, private to root).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requiredSecretKeys, secretKeys } from "../../../src/model/fleet";
import { closeAllHostConnections } from "../../../src/host/ssh";
import { evaluate, stackFleet } from "../../program/evaluate";
import { parseFleet } from "../../../src/model/load";
import { ensureLab, labDir } from "../lab";
import { converge, type ConvergeResult, type StateEntry } from "./engine";
import { labProviderFor } from "./providers";

const statePath = () => join(labDir, "converge-lab.state.json");
const secretsPath = () => join(labDir, "lab-secrets.json");

function writePrivate(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The lab stack's secrets: random once, then stable (a changed secret would not be a no-op). */
export function labSecrets(clientKey: string, fleet: unknown): Record<string, string> {
  const stored: Record<string, string> = existsSync(secretsPath()) ? JSON.parse(readFileSync(secretsPath(), "utf8")) : {};
  for (const key of requiredSecretKeys(parseFleet(fleet, "stacks/Pulumi.lab.yaml"))) {
    if (stored[key]) continue;
    if (key === secretKeys.configSyncSshKey) {
      const keyFile = join(labDir, "config-sync-key");
      if (!existsSync(keyFile)) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "lyra-config-sync", "-f", keyFile]);
      stored[key] = readFileSync(keyFile, "utf8");
    } else {
      stored[key] = randomBytes(18).toString("base64url");
    }
  }
  writePrivate(secretsPath(), JSON.stringify(stored, null, 2));
  return { ...stored, [secretKeys.sshPrivateKey]: clientKey };
}

/** Forgets the lab stack's state, as a new stack (or a lost state file) would start. */
export function forgetLabState(): void {
  rmSync(statePath(), { force: true });
}

export function loadState(): StateEntry[] {
  return existsSync(statePath()) ? JSON.parse(readFileSync(statePath(), "utf8")) : [];
}

export interface LabConvergeResult extends ConvergeResult {
  ms: number;
}

export interface ConvergeOptions {
  /** Change the lab stack's fleet object before the program runs (tests of faults). */
  mutate?: (fleet: Record<string, any>) => void;
}

export async function convergeLab(options: ConvergeOptions = {}): Promise<LabConvergeResult> {
  const started = Date.now();
  const lab = await ensureLab();
  const fleet = stackFleet("lab");
  options.mutate?.(fleet);
  const secrets = labSecrets(lab.clientKey, fleet);
  const evaluation = evaluate({ stack: "lab", fleet, secrets });
  if (evaluation.error) throw new Error(evaluation.error.message);
  const result = await converge(evaluation.registrations, loadState(), labProviderFor);
  // The state holds secret outputs (as a stack's does, encrypted there): private to root here.
  writePrivate(statePath(), JSON.stringify(result.state));
  await closeAllHostConnections();
  return { ...result, ms: Date.now() - started };
}

export function summarize(result: LabConvergeResult): string {
  const counts = new Map<string, number>();
  for (const s of result.steps) counts.set(s.op, (counts.get(s.op) ?? 0) + 1);
  const lines = result.steps.filter((s) => s.op !== "same").map((s) => `  ${s.op.padEnd(8)} ${s.name}${s.detail ? `: ${s.detail}` : ""}`);
  const total = [...counts].map(([op, n]) => `${n} ${op}`).join(", ");
  return [...lines, `converged the lab in ${(result.ms / 1000).toFixed(1)} s: ${total}`].join("\n");
}

if (require.main === module) {
  convergeLab()
    .then((result) => {
      console.log(summarize(result));
      process.exit(result.steps.some((s) => s.op === "failed" || s.op === "skipped") ? 1 : 0);
    })
    .catch((err: Error) => {
      console.error(`lab:converge: ${err.message}`);
      process.exit(1);
    });
}
