/**
 * What the cli layer's tests share: the lab stack under the real CLI, the text it printed, SSH to
 * the lab hosts, and the per-host counts of what the providers did.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { HostCounters } from "../../src/host/transport/counters";
import type { Lab } from "../lab/lab";
import { labDir } from "../lab/lab";
import type { LabStack, PulumiOptions, PulumiRun } from "../lab/pulumi-lab";

export const root = join(__dirname, "..", "..");
export const labHostNames = ["lyra", "vega", "mirror-1"] as const;

/** Everything the CLI printed in this test run, for the secrets check. */
export const printed: string[] = [];

/** `pulumi ARGS` on the lab stack, its output kept for the secrets check. */
export async function pulumi(stack: LabStack, args: string[], options?: PulumiOptions): Promise<PulumiRun> {
  const run = await stack.pulumi(args, options);
  printed.push(run.output);
  return run;
}

/** Like {@link pulumi}, failing the test with what the CLI printed unless it exits 0. */
export async function pulumiOk(stack: LabStack, args: string[], options?: PulumiOptions): Promise<PulumiRun> {
  const run = await pulumi(stack, args, options);
  assert.equal(run.code, 0, `pulumi ${args.join(" ")} exited ${run.code}:\n${whyFailed(run.output)}`);
  return run;
}

/**
 * What a failed run said: its Diagnostics (the errors, which come before the Outputs and so fall out
 * of a plain tail once the stack's outputs are long), then its last lines (the resource counts).
 */
export function whyFailed(output: string): string {
  const start = output.indexOf("\nDiagnostics:");
  if (start < 0) return tail(output);
  const end = output.indexOf("\nOutputs:", start);
  const diagnostics = output.slice(start + 1, end < 0 ? undefined : end).trimEnd();
  return `${tail(diagnostics, 200)}\n[...]\n${tail(output, 12)}`;
}

/** The end of a long output, for assertion messages. */
export const tail = (text: string, lines = 80) => text.split("\n").slice(-lines).join("\n");

/** What the CLI printed without the progress lines it redraws ("@ updating...."). */
export const display = (run: PulumiRun) =>
  run.output
    .split("\n")
    .filter((line) => !line.startsWith("@ "))
    .join("\n");

export async function sh(lab: Lab, host: string, command: string): Promise<string> {
  const result = await lab.sshExec(host, command, { timeoutMs: 60_000 });
  assert.equal(result.code, 0, `${host}: ${command}\n${result.stderr}`);
  return result.stdout.trim();
}

/** Counts summed over the lab's hosts. */
export function total(counts: Record<string, HostCounters>, counter: keyof HostCounters): number {
  return Object.values(counts).reduce((n, c) => n + c[counter], 0);
}

/** One line per host: "vega 39 commands, 0 writes, 0 restarts". */
export function countsLine(counts: Record<string, HostCounters>): string {
  return labHostNames
    .map(
      (h) =>
        `${h} ${counts[h]?.remoteCommands ?? 0} commands, ${counts[h]?.remoteWrites ?? 0} writes, ${counts[h]?.unitRestarts ?? 0} restarts`,
    )
    .join("; ");
}

/** The monitor's MQTT password, from the lab's secrets (never printed). */
export const monitorPassword = () =>
  JSON.parse(readFileSync(join(labDir, "lab-secrets.json"), "utf8"))["mqtt-password-monitor"] as string;

/** `npm run verify -- --stack lab ...` from the checkout, as the README tells a user. */
export function verify(
  lab: Lab,
  args: string[],
  timeoutMs = 10 * 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, LYRA_SECRET_MQTT_PASSWORD_MONITOR: monitorPassword() };
  return new Promise((resolve, reject) => {
    const child = spawn(
      "npm",
      ["run", "-s", "verify", "--", "--stack", "lab", "--identity", lab.clientKeyPath, ...args],
      { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(
      () => (
        child.kill("SIGKILL"),
        reject(new Error(`npm run verify: still running after ${timeoutMs / 1000} s\n${stdout}`))
      ),
      timeoutMs,
    );
    child.once("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

/** mosquitto_sub from this machine to vega's forwarded 1883 as the monitor user: `count` messages or none. */
export function subscribe(topic: string, count: number, seconds: number): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn("mosquitto_sub", [
      "-h",
      "127.0.0.12",
      "-p",
      "1883",
      "-u",
      "monitor",
      "-P",
      monitorPassword(),
      "-t",
      topic,
      "-v",
      "-C",
      String(count),
      "-W",
      String(seconds),
    ]);
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.once("close", () => resolve(out.trim() === "" ? [] : out.trim().split("\n")));
  });
}

/**
 * Seconds from the first line that shows `resource` with `from` (its step starting) to the first
 * that shows it with `to`, as the CLI printed them.
 */
export function stepSeconds(run: PulumiRun, resource: string, from: RegExp, to: RegExp): number | undefined {
  const at = (status: RegExp) => run.lines.find((l) => l.text.includes(` ${resource} `) && status.test(l.text))?.atMs;
  const start = at(from);
  const end = at(to);
  return start === undefined || end === undefined ? undefined : (end - start) / 1000;
}

/** A call to lyra's qdrant API (its lab address), which must answer 200; its JSON answer. */
export async function qdrant(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`http://127.0.0.11:6333${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `qdrant ${method} ${path}: ${text}`);
  return JSON.parse(text);
}
