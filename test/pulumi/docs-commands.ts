/**
 * How the docs-commands test runs a command the docs print: where the block says (a lab host as
 * root, or the operator's machine), exactly as printed but for the declared placeholders, which it
 * fills in the way the docs tell a reader to (src/render/docs/shell.ts, `placeholders`).
 *
 * The operator's machine is this one, set up as the README tells a user: in the stack's project
 * (a checkout, `pulumi login`ed, the passphrase in the environment) with an SSH client that holds
 * the operator's key and the pinned host keys. ssh reads its config from the passwd entry's home,
 * not $HOME, so that client is an `ssh` first on PATH that adds `-F <config>` (ssh-copy-id calls
 * it too); this machine's own ~/.ssh is left alone. One setting is the test's:
 * PULUMI_SKIP_CONFIRMATIONS=true answers the "Do you want to perform this update?" a human answers
 * at `pulumi up` (the same as --yes; the printed command stays as it is).
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { placeholders, type DocsCommand } from "../../src/render/docs/shell";
import type { ExecResult, Lab } from "../lab/lab";
import type { LabStack } from "../lab/pulumi-lab";

/** A lyra-restore, a converge or a `verify --watch` takes minutes; everything else seconds. */
const LONG_MS = 15 * 60_000;
const SHORT_MS = 2 * 60_000;
const long = (command: string) => /^(pulumi |npm run verify)/.test(command);

export interface Operator {
  /** Runs a command in the operator's shell, in the checkout. */
  run(command: string): Promise<ExecResult>;
  /** Removes its HOME. */
  close(): void;
}

/** The operator's machine: the lab stack's project and environment, and an SSH setup in a HOME of its own. */
export function operatorMachine(lab: Lab, stack: LabStack): Operator {
  const home = mkdtempSync(join(tmpdir(), "lyra-operator-"));
  mkdirSync(join(home, ".ssh"), { mode: 0o700 });
  mkdirSync(join(home, "bin"));
  const config = join(home, ".ssh", "config");
  writeFileSync(join(home, "bin", "ssh"), `#!/bin/sh\nexec /usr/bin/ssh -F ${config} "$@"\n`);
  chmodSync(join(home, "bin", "ssh"), 0o755);
  writeFileSync(
    config,
    [
      "Host *",
      `  IdentityFile ${lab.clientKeyPath}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${lab.knownHostsPath}`,
      "  GlobalKnownHostsFile /dev/null",
      "  StrictHostKeyChecking yes",
      "  BatchMode yes",
      "  ConnectTimeout 5",
      "  LogLevel ERROR",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const env = {
    ...stack.env,
    PATH: `${join(home, "bin")}:${stack.env.PATH}`,
    HOME: home,
    PULUMI_SKIP_CONFIRMATIONS: "true",
  };
  return {
    run: (command) => shell(command, stack.project, env, long(command) ? LONG_MS : SHORT_MS),
    close: () => rmSync(home, { recursive: true, force: true }),
  };
}

function shell(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      process.kill(-child.pid!, "SIGKILL");
      reject(new Error(`still running after ${timeoutMs / 1000} s: ${command}`));
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Runs one docs command where its block says; placeholders filled in by `fill`. */
export function runWhere(lab: Lab, operator: Operator, c: DocsCommand, command: string): Promise<ExecResult> {
  return c.where === "operator"
    ? operator.run(command)
    : lab.sshExec(c.where.host, command, { timeoutMs: long(command) ? LONG_MS : SHORT_MS });
}

/**
 * The values the docs ask a reader to fill in, as they say to: the operator's key file, and a
 * snapshot id from the `lyra-restore --list` the docs print just before the restore.
 */
export class Placeholders {
  private lastList: string | undefined;

  constructor(private readonly lab: Lab) {}

  /** Remembers what each `lyra-restore --list` printed. */
  saw(command: string, result: ExecResult): void {
    if (command.includes("lyra-restore --list")) this.lastList = result.stdout;
  }

  fill(c: DocsCommand): string {
    let command = c.command;
    for (const p of c.placeholders) {
      command = command.split(p).join(this.value(p, c));
    }
    return command;
  }

  private value(p: DocsCommand["placeholders"][number], c: DocsCommand): string {
    switch (p) {
      case placeholders.operatorKey:
        // The ssh-private-key secret of the lab stack is this file (test/lab/pulumi-stack.ts); its .pub is beside it.
        return this.lab.clientKeyPath;
      case placeholders.snapshotId: {
        const newest = (this.lastList ?? "").trim().split("\n").pop()?.split(/\s+/)[0];
        if (!newest)
          throw new Error(`${c.page}: '${c.command}' needs a snapshot id, but no lyra-restore --list ran before it`);
        return newest;
      }
    }
  }
}
