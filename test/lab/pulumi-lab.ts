/**
 * The lab stack under the real Pulumi CLI, set up the way the README tells a user: the CLI built
 * by scripts/pulumi-cli/ensure.sh, `pulumi login file://…`, `pulumi stack init --secrets-provider
 * passphrase`, every secret with `pulumi config set --secret`. Everything lives under the lab's directory (PULUMI_HOME, the file backend, a
 * copy of the project whose stack file receives the encrypted secrets), so the checkout stays clean
 * and nothing reaches the network (no update check, no plugin downloads).
 *
 *   const stack = await labStack();
 *   const run = await stack.pulumi(["up", "--stack", "lab", "--yes"]);
 *
 * Run directly, it is `npm run lab:pulumi -- <pulumi arguments>` (and `npm run lab:converge`).
 * It never runs `lab.sh up`: a host the lab unplugged stays unplugged, as the fault it stands for.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  copyFileSync,
} from "node:fs";
import { join } from "node:path";
import { sshPrivateKeySecret } from "../../src/model/fleet";
import { requiredSecretKeys } from "../../src/model/secrets";
import { fleetConfigKey, parseFleet } from "../../src/model/load";
import YAML from "yaml";
import { readCountersLog, type HostCounters } from "../../src/host/transport/counters";
import { stackFleet } from "../support/stack-fleet";
import { labDir } from "./lab";
import { configSyncSshKeyKey } from "../../src/services/config-sync/secrets";

const root = join(__dirname, "..", "..");
/** Everything of the lab's Pulumi stack: backend, PULUMI_HOME, the project copy. */
export const pulumiDir = () => join(labDir, "pulumi");
const paths = () => {
  const dir = pulumiDir();
  return {
    dir,
    backend: join(dir, "state"),
    home: join(dir, "home"),
    project: join(dir, "project"),
    passphrase: join(dir, "passphrase"),
    counters: join(dir, "host-counters.log"),
    ready: join(dir, "ready"),
  };
};
const secretsPath = () => join(labDir, "lab-secrets.json");
const clientKeyPath = () => join(labDir, "id_ed25519");

/** A first build of the CLI downloads over 1 GB of Go modules and compiles for many minutes. */
const CLI_BUILD_TIMEOUT_MS = 100 * 60_000;
const PULUMI_TIMEOUT_MS = 15 * 60_000;

let cliBin: string | undefined;

/**
 * The directory holding pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs at the
 * version package.json pins, built or found by scripts/pulumi-cli/ensure.sh.
 */
export function ensureCli(): string {
  cliBin ??= execFileSync("bash", [join(root, "scripts", "pulumi-cli", "ensure.sh")], {
    encoding: "utf8",
    timeout: CLI_BUILD_TIMEOUT_MS,
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return cliBin;
}

function writePrivate(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The lab stack's secrets: random once, then stable (a changed secret would not be a no-op). */
export function labSecrets(): Record<string, string> {
  const stored: Record<string, string> = existsSync(secretsPath())
    ? JSON.parse(readFileSync(secretsPath(), "utf8"))
    : {};
  for (const key of requiredSecretKeys(parseFleet(stackFleet("lab"), "stacks/Pulumi.lab.yaml"))) {
    if (stored[key]) continue;
    if (key === configSyncSshKeyKey) {
      const keyFile = join(labDir, "config-sync-key");
      if (!existsSync(keyFile))
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "lyra-config-sync", "-f", keyFile]);
      stored[key] = readFileSync(keyFile, "utf8");
    } else {
      stored[key] = randomBytes(18).toString("base64url");
    }
  }
  mkdirSync(labDir, { recursive: true });
  writePrivate(secretsPath(), JSON.stringify(stored, null, 2));
  return stored;
}

export interface PulumiRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, as a user's terminal shows them. */
  output: string;
  /** Each line of `output` with when it arrived, in ms since the start. */
  lines: { atMs: number; text: string }[];
  ms: number;
}

export interface PulumiOptions {
  input?: string;
  timeoutMs?: number;
  /**
   * Called once the CLI runs, with a function that signals its whole process group (the CLI and
   * the plugins it started), as a terminal's Ctrl-C or a power cut reaches them all.
   */
  onSpawn?: (signalGroup: (signal: NodeJS.Signals) => void) => void;
}

export interface LabStack {
  /** The environment every command runs in (PATH, PULUMI_HOME, passphrase, offline settings). */
  env: NodeJS.ProcessEnv;
  /** The project copy the commands run in. */
  project: string;
  /** The file backend's directory. */
  backend: string;
  /** Every secret value of the stack (for tests that look for them in plain text). */
  secretValues: string[];
  /** Runs `pulumi ARGS` in the project; resolves with what it printed (rejects only past the deadline). */
  pulumi(args: string[], options?: PulumiOptions): Promise<PulumiRun>;
  /** Forgets what the host layer counted so far. */
  resetCounters(): void;
  /** What the host layer did to each host since the last reset, summed over every provider process. */
  counters(): Record<string, HostCounters>;
}

function environment(bin: string): NodeJS.ProcessEnv {
  const p = paths();
  return {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    PULUMI_HOME: p.home,
    PULUMI_CONFIG_PASSPHRASE: readFileSync(p.passphrase, "utf8"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    LYRA_HOST_COUNTERS_LOG: p.counters,
  };
}

function runPulumi(
  bin: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  args: string[],
  options: PulumiOptions = {},
): Promise<PulumiRun> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? PULUMI_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    // Its own process group, so that signalling it reaches its plugins too, and nothing outlives it.
    const child = spawn(join(bin, "pulumi"), args, { cwd, env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    let output = "";
    const lines: PulumiRun["lines"] = [];
    let partial = "";
    const take = (chunk: string) => {
      output += chunk;
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      for (const text of parts) lines.push({ atMs: Date.now() - started, text });
    };
    child.stdout!.setEncoding("utf8").on("data", (s: string) => ((stdout += s), take(s)));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => ((stderr += s), take(s)));
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      signalGroup("SIGKILL");
      reject(new Error(`pulumi ${args.join(" ")}: still running after ${timeoutMs / 1000} s\n${output.slice(-4000)}`));
    }, timeoutMs);
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      if (partial) lines.push({ atMs: Date.now() - started, text: partial });
      resolve({ code, signal, stdout, stderr, output, lines, ms: Date.now() - started });
    };
    child.on("error", (err) => (clearTimeout(timer), reject(new Error(`cannot run pulumi: ${err.message}`))));
    child.on("close", done);
    // Plugins that outlive a killed CLI would hold the output pipes open.
    child.on("exit", (code, signal) => setTimeout(() => done(code, signal), 5000).unref());
    child.stdin!.on("error", () => {});
    child.stdin!.end(options.input ?? "");
    options.onSpawn?.(signalGroup);
  });
}

/** Fails with everything the CLI printed when a setup step fails. */
async function must(run: Promise<PulumiRun>, what: string): Promise<PulumiRun> {
  const result = await run;
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.output}`);
  return result;
}

/** The project copy: the checkout's files linked, the stack file copied (it receives the secrets). */
function makeProject(project: string): void {
  mkdirSync(join(project, "stacks"), { recursive: true });
  for (const name of ["Pulumi.yaml", "package.json", "tsconfig.json", "src", "node_modules"]) {
    if (!existsSync(join(project, name))) symlinkSync(join(root, name), join(project, name));
  }
  copyFileSync(join(root, "stacks", "Pulumi.lab.yaml"), join(project, "stacks", "Pulumi.lab.yaml"));
}

/**
 * The checkout's lab fleet into the project copy's stack file, keeping what Pulumi wrote there
 * (the encryption salt, the encrypted secrets): an edited stacks/Pulumi.lab.yaml takes effect at
 * the next command, as it would in a user's checkout.
 */
function syncFleetConfig(project: string): void {
  const copyPath = join(project, "stacks", "Pulumi.lab.yaml");
  const copy = YAML.parseDocument(readFileSync(copyPath, "utf8"));
  const checkout = YAML.parse(readFileSync(join(root, "stacks", "Pulumi.lab.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  copy.setIn(["config", fleetConfigKey], checkout.config[fleetConfigKey]);
  writeFileSync(copyPath, copy.toString());
}

/**
 * The lab stack, ready for `pulumi preview/up`. `fresh` forgets any earlier stack (backend,
 * PULUMI_HOME, project copy), as a new user starts; otherwise an existing stack is reused.
 */
export async function labStack(options: { fresh?: boolean } = {}): Promise<LabStack> {
  const bin = ensureCli();
  const p = paths();
  if (options.fresh) rmSync(p.dir, { recursive: true, force: true });
  const secrets = { ...labSecrets(), [sshPrivateKeySecret]: readFileSync(clientKeyPath(), "utf8") };
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(p.passphrase)) writePrivate(p.passphrase, randomBytes(24).toString("base64url"));
  const env = environment(bin);
  const pulumi = (args: string[], o?: PulumiOptions) => runPulumi(bin, env, p.project, args, o);

  if (!existsSync(p.ready)) {
    rmSync(p.project, { recursive: true, force: true });
    rmSync(p.backend, { recursive: true, force: true });
    rmSync(p.home, { recursive: true, force: true });
    mkdirSync(p.backend, { recursive: true });
    makeProject(p.project);
    // The README's steps, in its order.
    await must(pulumi(["login", `file://${p.backend}`]), "pulumi login");
    await must(pulumi(["stack", "init", "lab", "--secrets-provider", "passphrase"]), "pulumi stack init");
    for (const [key, value] of Object.entries(secrets).sort()) {
      await must(
        pulumi(["config", "set", "--secret", "--stack", "lab", key], { input: value }),
        `pulumi config set --secret ${key}`,
      );
    }
    writeFileSync(p.ready, "");
  }
  syncFleetConfig(p.project);
  return {
    env,
    project: p.project,
    backend: p.backend,
    secretValues: Object.values(secrets),
    pulumi,
    resetCounters: () => rmSync(p.counters, { force: true }),
    counters: () => readCountersLog(p.counters),
  };
}

if (require.main === module) {
  // `npm run lab:pulumi -- up --yes`: the lab stack is always `lab`.
  labStack()
    .then((stack) => {
      const child = spawn(join(ensureCli(), "pulumi"), [...process.argv.slice(2), "--stack", "lab"], {
        cwd: stack.project,
        env: stack.env,
        stdio: "inherit",
      });
      child.on("close", (code) => process.exit(code ?? 1));
    })
    .catch((err: Error) => {
      console.error(`lab:pulumi: ${err.message}`);
      process.exit(1);
    });
}
