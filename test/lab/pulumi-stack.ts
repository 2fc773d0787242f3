/**
 * A stack of this project under the real Pulumi CLI, set up the way the README tells a user: the
 * CLI built by scripts/pulumi-cli/ensure.sh, `pulumi login file://…`, `pulumi stack init
 * --secrets-provider passphrase`, every secret with `pulumi config set --secret`. Everything lives
 * in the stack's own directory (PULUMI_HOME, the file backend, a copy of the project whose stack
 * file receives the encrypted secrets), so the checkout stays clean and nothing reaches the
 * network (no update check, no plugin downloads). The lab stack (pulumi-lab.ts) and the scaling
 * stacks (pulumi-scaling.ts) are two uses of it.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { sshPrivateKeySecret } from "../../src/model/fleet";
import { configSyncSshKeyKey } from "../../src/services/config-sync/secrets";
import { completeSecrets, derivedSecretSources, secretsToSet } from "../../src/model/secrets";
import { fleetConfigKey, parseFleet } from "../../src/model/load";
import { readCountersLog, type HostCounters } from "../../src/host/transport/counters";
import { readHostWaits, type HostWait } from "../../src/host/transport/timing";
import { labDir, labNas } from "./lab";

const root = join(__dirname, "..", "..");
const clientKeyPath = () => join(labDir, "id_ed25519");
/** The stack secret holding the private key of the fleet's NAS account (the backup part reads it). */
const nasSshKeySecret = "nasSshKey";

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

/**
 * Every secret the stack sets for `fleet`, random once and then kept in `file` (a changed secret
 * would not be a no-op); values in `seed` are taken as they are, so hosts two stacks share keep
 * their secrets. A key the program derives (a host's MQTT password) is not set: its source is, as
 * the README tells a user to, and stackSecretValues gives what the program derives from it.
 */
export function stackSecrets(
  fleet: unknown,
  stackFile: string,
  file: string,
  seed: Record<string, string> = {},
): Record<string, string> {
  const model = parseFleet(fleet, stackFile);
  const stored: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  // Kept by an earlier checkout, which set every host's password itself.
  for (const key of derivedSecretSources(model).keys()) delete stored[key];
  for (const key of secretsToSet(model)) {
    if (stored[key]) continue;
    if (seed[key]) {
      stored[key] = seed[key];
    } else if (key === nasSshKeySecret) {
      // The key the lab's NAS authorizes for its account (lib/nas.sh), not a random one.
      stored[key] = readFileSync(labNas.clientKeyFixture, "utf8");
    } else if (key === configSyncSshKeyKey) {
      const keyFile = join(labDir, "config-sync-key");
      if (!existsSync(keyFile))
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "lyra-config-sync", "-f", keyFile]);
      stored[key] = readFileSync(keyFile, "utf8");
    } else {
      stored[key] = randomBytes(18).toString("base64url");
    }
  }
  mkdirSync(labDir, { recursive: true });
  writePrivate(file, JSON.stringify(stored, null, 2));
  return stored;
}

/** Every secret the program reads for `fleet` given what the stack sets (`stored`): the derived ones filled in. */
export function stackSecretValues(
  fleet: unknown,
  stackFile: string,
  stored: Record<string, string>,
): Record<string, string> {
  const { values, missing } = completeSecrets(parseFleet(fleet, stackFile), (key) => stored[key]);
  if (missing.length > 0) throw new Error(`${stackFile}: no value for ${missing.map((m) => m.key).join(", ")}`);
  return { ...stored, ...values };
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
  /** Called with each line the CLI prints, as it prints it, and the same signalling function. */
  onLine?: (text: string, signalGroup: (signal: NodeJS.Signals) => void) => void;
  /** Added to the stack's environment for this command only. */
  env?: NodeJS.ProcessEnv;
}

/** What a stack is: its name, where it lives, its fleet and its secrets. */
export interface StackSpec {
  /** The Pulumi stack's name (`lab`, `scale-20`). */
  stack: string;
  /** Its own directory: backend, PULUMI_HOME, project copy, passphrase, host counters. */
  dir: string;
  /** The fleet its stack file declares, written into the project copy before every use. */
  fleet: () => unknown;
  /** Every secret the stack gets with `pulumi config set --secret`. */
  secrets: () => Record<string, string>;
}

export interface LabStack {
  /** The stack's name. */
  stack: string;
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
  /** Forgets what the host layer counted and timed so far. */
  resetCounters(): void;
  /** When the host layer waited on each host since the last reset (src/host/transport/timing.ts). */
  hostWaits(): HostWait[];
  /** What the host layer did to each host since the last reset, summed over every provider process. */
  counters(): Record<string, HostCounters>;
}

const stackPaths = (dir: string) => ({
  backend: join(dir, "state"),
  home: join(dir, "home"),
  project: join(dir, "project"),
  passphrase: join(dir, "passphrase"),
  counters: join(dir, "host-counters.log"),
  timing: join(dir, "host-timing.log"),
  ready: join(dir, "ready"),
});

/**
 * The environment a `pulumi` command of the CLI in `bin` runs in, offline as the README says: its
 * own PULUMI_HOME, the stack's passphrase, no update check and no plugin downloads.
 */
export function cliEnvironment(bin: string, home: string, passphrase: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    PULUMI_HOME: home,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
}

function environment(bin: string, dir: string): NodeJS.ProcessEnv {
  const p = stackPaths(dir);
  return {
    ...cliEnvironment(bin, p.home, readFileSync(p.passphrase, "utf8")),
    LYRA_HOST_COUNTERS_LOG: p.counters,
    LYRA_HOST_TIMING_LOG: p.timing,
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
    const child = spawn(join(bin, "pulumi"), args, {
      cwd,
      env: { ...env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let output = "";
    const lines: PulumiRun["lines"] = [];
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is gone already
      }
    };
    let partial = "";
    const take = (chunk: string) => {
      output += chunk;
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      for (const text of parts) {
        lines.push({ atMs: Date.now() - started, text });
        options.onLine?.(text, signalGroup);
      }
    };
    child.stdout!.setEncoding("utf8").on("data", (s: string) => ((stdout += s), take(s)));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => ((stderr += s), take(s)));
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

/**
 * The project copy: the checkout's files linked; its stacks/ holds only this stack's file. Linked
 * again at every use, to the checkout that runs the command: a copy made by another checkout (or
 * on another machine, whose path is gone) would otherwise run that checkout's code, or nothing.
 */
function makeProject(project: string): void {
  mkdirSync(join(project, "stacks"), { recursive: true });
  for (const name of ["Pulumi.yaml", "package.json", "tsconfig.json", "src", "node_modules"]) {
    const link = join(project, name);
    const linked = (() => {
      try {
        return readlinkSync(link);
      } catch {
        return undefined;
      }
    })();
    if (linked === join(root, name)) continue;
    if (linked !== undefined) unlinkSync(link);
    symlinkSync(join(root, name), link);
  }
}

/**
 * The spec's fleet into the project copy's stack file, keeping what Pulumi wrote there (the
 * encryption salt, the encrypted secrets): an edited fleet takes effect at the next command, as an
 * edited stack file would in a user's checkout.
 */
function writeFleetConfig(project: string, spec: StackSpec): void {
  const file = join(project, "stacks", `Pulumi.${spec.stack}.yaml`);
  const doc = existsSync(file) ? YAML.parseDocument(readFileSync(file, "utf8")) : new YAML.Document({ config: {} });
  doc.setIn(["config", fleetConfigKey], spec.fleet());
  writeFileSync(file, doc.toString());
}

/** The secret keys the project copy's stack file holds no value for yet, sorted. */
function secretsNotInStack(project: string, spec: StackSpec, keys: string[]): string[] {
  const file = join(project, "stacks", `Pulumi.${spec.stack}.yaml`);
  const config = (YAML.parse(readFileSync(file, "utf8"))?.config ?? {}) as Record<string, unknown>;
  const namespace = fleetConfigKey.slice(0, fleetConfigKey.indexOf(":") + 1);
  return keys.filter((key) => !(`${namespace}${key}` in config)).sort();
}

/**
 * The stack, ready for `pulumi preview/up`. `fresh` forgets any earlier stack of the spec's
 * (backend, PULUMI_HOME, project copy), as a new user starts; otherwise an existing one is reused.
 */
export async function pulumiStack(
  spec: StackSpec,
  options: { fresh?: boolean; secretsInOneCommand?: boolean } = {},
): Promise<LabStack> {
  const bin = ensureCli();
  const p = stackPaths(spec.dir);
  if (options.fresh) rmSync(spec.dir, { recursive: true, force: true });
  const secrets: Record<string, string> = {
    ...spec.secrets(),
    [sshPrivateKeySecret]: readFileSync(clientKeyPath(), "utf8"),
  };
  mkdirSync(spec.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(p.passphrase)) writePrivate(p.passphrase, randomBytes(24).toString("base64url"));
  const env = environment(bin, spec.dir);
  const pulumi = (args: string[], o?: PulumiOptions) => runPulumi(bin, env, p.project, args, o);

  if (!existsSync(p.ready)) {
    rmSync(p.project, { recursive: true, force: true });
    rmSync(p.backend, { recursive: true, force: true });
    rmSync(p.home, { recursive: true, force: true });
    mkdirSync(p.backend, { recursive: true });
    makeProject(p.project);
    writeFleetConfig(p.project, spec);
    // The README's steps, in its order.
    await must(pulumi(["login", `file://${p.backend}`]), "pulumi login");
    await must(pulumi(["stack", "init", spec.stack, "--secrets-provider", "passphrase"]), "pulumi stack init");
    if (options.secretsInOneCommand) {
      // A bench's throwaway stack of a thousand mirrors: one `config set` per secret is a CLI run
      // each, minutes in all. set-all takes the values as arguments, visible in the process list
      // while it runs: only for a bench's own values (random ones and the lab's keys).
      const args = Object.entries(secrets).flatMap(([key, value]) => ["--secret", `${key}=${value}`]);
      await must(pulumi(["config", "set-all", "--stack", spec.stack, ...args]), "pulumi config set-all");
    } else {
      for (const [key, value] of Object.entries(secrets).sort()) {
        await must(
          pulumi(["config", "set", "--secret", "--stack", spec.stack, key], { input: value }),
          `pulumi config set --secret ${key}`,
        );
      }
    }
    writeFileSync(p.ready, "");
  }
  makeProject(p.project);
  writeFleetConfig(p.project, spec);
  // A stack made before a module added a secret (noderedAdminPassword) gets it now, as its user would.
  for (const key of secretsNotInStack(p.project, spec, Object.keys(secrets))) {
    await must(
      pulumi(["config", "set", "--secret", "--stack", spec.stack, key], { input: secrets[key] }),
      `pulumi config set --secret ${key}`,
    );
  }
  return {
    stack: spec.stack,
    env,
    project: p.project,
    backend: p.backend,
    // As the program has them: a derived password is a secret too.
    secretValues: Object.values(stackSecretValues(spec.fleet(), `stacks/Pulumi.${spec.stack}.yaml`, secrets)),
    pulumi,
    resetCounters: () => (rmSync(p.counters, { force: true }), rmSync(p.timing, { force: true })),
    hostWaits: () => readHostWaits(p.timing),
    counters: () => readCountersLog(p.counters),
  };
}
