/**
 * Runs the program the way `pulumi preview` does, minus the engine: the project's own language
 * host (pulumi-language-nodejs, built by scripts/pulumi-cli/ensure.sh) is started and asked to
 * Run, with Pulumi.yaml's runtime options, so it starts `node <nodeargs> @pulumi/pulumi/cmd/run`
 * with the loader those options choose, against a fake engine (./fake-engine.ts).
 *
 * `node` is found through PATH by the language host, so a shim first on PATH wraps the real one
 * in GNU time: the figures are the program process's own wall time and peak RSS.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import YAML from "yaml";
import { startFakeEngine } from "./fake-engine";

const languageProto = require("@pulumi/pulumi/proto/language_pb");
const languageGrpc = require("@pulumi/pulumi/proto/language_grpc_pb");
const structProto = require("google-protobuf/google/protobuf/struct_pb");
const grpc = require(
  require.resolve("@grpc/grpc-js", { paths: [join(require.resolve("@pulumi/pulumi/package.json"), "..")] }),
);

export interface RunOptions {
  /** The project directory (Pulumi.yaml, node_modules). */
  project: string;
  /** Directory of pulumi-language-nodejs. */
  cliBin: string;
  stack: string;
  /** Stack config, `lyra-fleet:key` -> value (objects as JSON text, as the CLI passes them). */
  config: Record<string, string>;
  secretKeys: string[];
  /** Runtime options to use instead of Pulumi.yaml's (the rows that compare loaders). */
  runtimeOptions?: Record<string, unknown>;
  /** Environment for the language host and the program. */
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  wallSeconds: number;
  /** User and system CPU time: less sensitive than wall time to what else the machine runs. */
  cpuSeconds: number;
  peakRssMb: number;
  registrations: number;
  /** Each registration's source position as the SDK sent it, "" for none (the stack's first). */
  sourcePositions: string[];
  /** Messages the program sent the engine by severity: 0 debug, 1 info, 2 warning, 3 error. */
  messages: number[];
  /** The node command line the language host ran (after `node`). */
  nodeArgs: string[];
}

export function projectRuntime(project: string): { main: string; options: Record<string, unknown> } {
  const doc = YAML.parse(readFileSync(join(project, "Pulumi.yaml"), "utf8"));
  return { main: doc.main ?? ".", options: doc.runtime?.options ?? {} };
}

/**
 * Where the CLI runs a project's program and by what name (its engine's getPwdMain): a `main` file
 * runs in its own directory, by its base name; a `main` directory runs as ".".
 */
export function cliPwdMain(project: string): { pwd: string; program: string } {
  const main = join(project, projectRuntime(project).main);
  return statSync(main).isDirectory() ? { pwd: main, program: "." } : { pwd: dirname(main), program: basename(main) };
}

/**
 * The program loader keeps its bundle while the sources are unchanged (src/fleet/program-bundle.cjs):
 * it is made first, so that the run is timed as every run after a checkout's first is (the first
 * also bundles: about 0.1 s). Not for a run given its own LYRA_FLEET_BUNDLE_CACHE: that cache is
 * left as its caller made it (an empty one stands for a fresh clone's).
 */
function warmProgramBundle(project: string, main: string, runtimeOptions: Record<string, unknown>): void {
  const nodeargs = runtimeOptions.nodeargs;
  if (typeof nodeargs !== "string" || !nodeargs.includes("lyra-fleet/program-loader")) return;
  const { cachedBundle } = require(join(project, "src", "fleet", "program-bundle.cjs"));
  cachedBundle(join(project, main));
}

export async function runThroughLanguageHost(options: RunOptions): Promise<RunResult> {
  const runtime = projectRuntime(options.project);
  const runtimeOptions = options.runtimeOptions ?? runtime.options;
  if (options.env?.LYRA_FLEET_BUNDLE_CACHE === undefined)
    warmProgramBundle(options.project, runtime.main, runtimeOptions);
  const scratch = mkdtempSync(join(tmpdir(), "lyra-bench-run-"));
  const shimDir = join(scratch, "bin");
  const timeFile = join(scratch, "time");
  const argvFile = join(scratch, "argv");
  mkdirSync(shimDir);
  // GNU time's %e, %M, %U and %S: the process's wall seconds, peak resident KB, user and system CPU seconds.
  writeFileSync(
    join(shimDir, "node"),
    `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\nexec /usr/bin/time -f '%e %M %U %S' -o '${timeFile}' '${process.execPath}' "$@"\n`,
  );
  chmodSync(join(shimDir, "node"), 0o755);

  const engine = await startFakeEngine();
  const env = { ...process.env, ...options.env, PATH: `${shimDir}:${options.cliBin}:${process.env.PATH}` };
  const host = spawn(join(options.cliBin, "pulumi-language-nodejs"), [engine.address], {
    cwd: options.project,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let hostErr = "";
  host.stderr!.setEncoding("utf8").on("data", (s: string) => (hostErr += s));
  let hostOut = "";
  host.stdout!.setEncoding("utf8").on("data", (s: string) => (hostOut += s));
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const poll = setInterval(() => {
        const line = hostOut.split("\n")[0];
        if (hostOut.includes("\n") && /^\d+$/.test(line)) {
          clearInterval(poll);
          resolve(line);
        }
      }, 20);
      host.on("exit", (code) => (clearInterval(poll), reject(new Error(`language host exited (${code}): ${hostErr}`))));
    });
    const { pwd, program } = cliPwdMain(options.project);
    const info = new languageProto.ProgramInfo()
      .setRootDirectory(options.project)
      .setProgramDirectory(pwd)
      .setEntryPoint(program)
      .setOptions(structProto.Struct.fromJavaScript(runtimeOptions));
    const request = new languageProto.RunRequest()
      .setProject("lyra-fleet")
      .setStack(options.stack)
      .setPwd(pwd)
      .setProgram(program)
      .setDryrun(true)
      .setParallel(16)
      .setMonitorAddress(engine.address)
      .setConfigsecretkeysList(options.secretKeys)
      .setInfo(info);
    for (const [key, value] of Object.entries(options.config)) request.getConfigMap().set(key, value);
    const client = new languageGrpc.LanguageRuntimeClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const response: any = await new Promise((resolve, reject) =>
      client.run(request, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))),
    );
    client.close();
    if (response.getError() || response.getBail() || engine.errors.length > 0)
      throw new Error(
        `the program failed: ${response.getError() || "(reported)"}\n${engine.errors.join("\n")}\n${hostErr.slice(-3000)}`,
      );
    const [wall, kb, user, system] = readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
    return {
      wallSeconds: wall,
      cpuSeconds: user + system,
      peakRssMb: kb / 1024,
      registrations: engine.registrations(),
      sourcePositions: [...engine.sourcePositions],
      messages: [...engine.messages],
      nodeArgs: readFileSync(argvFile, "utf8").trimEnd().split("\n"),
    };
  } finally {
    host.kill();
    await engine.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
