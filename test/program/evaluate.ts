/** Evaluate the program under mocks in a fresh process (the Pulumi runtime is process-global). */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { sshPrivateKeySecret } from "../../src/model/fleet";
import { requiredSecretKeys } from "../../src/model/secrets";
import { parseFleet } from "../../src/model/load";
import { testSecretValues } from "../support/test-secrets";
import YAML from "yaml";
import { cliPwdMain } from "../../bench/support/language-host-run";
import type { EvaluateOptions, Invoke, Registration } from "./harness";

const root = join(__dirname, "..", "..");

/** The node arguments Pulumi.yaml gives the CLI's runner (runtime.options.nodeargs). */
export function pulumiYamlNodeArgs(): string[] {
  const options = YAML.parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")).runtime?.options ?? {};
  return typeof options.nodeargs === "string" ? options.nodeargs.split(/\s+/).filter(Boolean) : [];
}

/** Where the CLI runs the program: its `main` file's directory (the engine's getPwdMain), src/. */
export const cliProgramDirectory = (): string => cliPwdMain(root).pwd;

/**
 * How the program is loaded: tsx with its ESM and CommonJS hooks (as the tests load it), or with
 * exactly the node arguments Pulumi.yaml hands the Pulumi CLI's runner, in the directory it runs in.
 */
export const loaders = {
  tsx: { args: ["--import", "tsx"], env: {}, cwd: root },
  "pulumi.yaml": { args: pulumiYamlNodeArgs(), env: {}, cwd: cliProgramDirectory() },
} satisfies Record<string, { args: string[]; env: Record<string, string>; cwd: string }>;
export type Loader = keyof typeof loaders;

export interface Evaluation {
  registrations: Registration[];
  /** Every invoke the program made, in order (./harness.ts). */
  invokes: Invoke[];
  /** The stack outputs the program exported (src/index.ts: a promise of them). */
  outputs?: unknown;
  /** Under an applying engine (EvaluateOptions.applying): the most registrations unanswered at once. */
  mostUnanswered?: number;
  error?: { name: string; message: string; stack?: string };
  /** Whether the SDK's promises still carried stack traces once the program had run. */
  sdkPromiseStacks: boolean;
  /** Whether the SDK's resources still got source positions once the program had run. */
  sdkSourcePositions: boolean;
  /** Whether the SDK's protobuf strings were still google-protobuf's own code once the program had run. */
  sdkProtobufStrings: boolean;
}

export function evaluate(options: EvaluateOptions, loader: Loader = "tsx"): Evaluation {
  const { args, env, cwd } = loaders[loader];
  const outFile = join(mkdtempSync(join(tmpdir(), "lyra-eval-")), "result.json");
  let parsed: Partial<Evaluation>;
  try {
    const result = spawnSync(process.execPath, [...args, join(__dirname, "evaluate-main.ts"), outFile], {
      cwd,
      input: JSON.stringify(options),
      encoding: "utf8",
      timeout: 120_000,
      maxBuffer: 512 * 1024 * 1024,
      env: { ...process.env, ...env, PULUMI_NODEJS_STACK: options.stack },
    });
    if (result.status !== 0 || !existsSync(outFile)) {
      throw new Error(`program evaluation failed (exit ${result.status}):\n${result.stderr}`);
    }
    parsed = JSON.parse(readFileSync(outFile, "utf8")) as Partial<Evaluation>;
  } finally {
    rmSync(dirname(outFile), { recursive: true, force: true });
  }
  return {
    registrations: parsed.registrations ?? [],
    invokes: parsed.invokes ?? [],
    outputs: parsed.outputs,
    mostUnanswered: parsed.mostUnanswered,
    error: parsed.error,
    sdkPromiseStacks: parsed.sdkPromiseStacks ?? true,
    sdkSourcePositions: parsed.sdkSourcePositions ?? true,
    sdkProtobufStrings: parsed.sdkProtobufStrings ?? true,
  };
}

export { stackFleet } from "../support/stack-fleet";

/**
 * A home stack's config as the CLI hands it to the language host: the fleet as JSON text, and a
 * test value for every secret it needs, all under flat `lyra-fleet:` keys, and which are secret.
 */
export function homeStackConfig(fleet: unknown): { config: Record<string, string>; secretKeys: string[] } {
  const secrets = testSecrets(fleet);
  const config: Record<string, string> = { "lyra-fleet:fleet": JSON.stringify(fleet) };
  for (const [key, value] of Object.entries(secrets)) config[`lyra-fleet:${key}`] = value;
  return { config, secretKeys: Object.keys(secrets).map((key) => `lyra-fleet:${key}`) };
}

/** Deterministic test values for every secret a fleet needs. */
export function testSecrets(fleet: unknown, stack = "home"): Record<string, string> {
  return testSecretValues([
    ...requiredSecretKeys(parseFleet(fleet, `stacks/Pulumi.${stack}.yaml`)),
    sshPrivateKeySecret,
  ]);
}
