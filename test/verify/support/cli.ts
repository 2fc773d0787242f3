/** Runs a CLI of this project (through tsx, as npm does) and measures it; never throws on exit codes. */
import { spawn } from "node:child_process";
import { join } from "node:path";

export const root = join(__dirname, "..", "..", "..");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(
  script: "verify" | "record",
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join("src", "cli", `${script}.ts`), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} ${args.join(" ")}: still running after ${timeoutMs / 1000} s\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      // Let the pipes drain: 'exit' may come before the last output chunk.
      setImmediate(() => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    });
  });
}
