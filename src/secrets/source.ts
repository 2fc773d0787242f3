/**
 * Where the command-line tools get secret values: an environment variable per key, or the
 * Pulumi CLI's stack config when it is installed. Values are returned, never printed.
 */
import { execFileSync } from "node:child_process";
import type { FleetModel } from "../model/fleet";
import { completeSecrets, missingSecretLines, secretValueProblems } from "../model/secrets";

/** `mqtt-password-mirror-1` -> `LYRA_SECRET_MQTT_PASSWORD_MIRROR_1`. */
export function secretEnvName(key: string): string {
  return `LYRA_SECRET_${key.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

function fromPulumi(stack: string, key: string): string | undefined {
  try {
    // `config get` prints a secret in plain text as it is; it has no --show-secrets (the real CLI
    // refuses the flag: "unknown flag", and verify then found no secret at all).
    return execFileSync("pulumi", ["config", "get", "--stack", stack, `lyra-fleet:${key}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 30_000,
    }).replace(/\n$/, "");
  } catch {
    return undefined;
  }
}

/** Some keys have no value: the message names each and how to provide it. */
export class MissingSecretsError extends Error {
  override name = "MissingSecretsError";
}

/** The value the environment or the stack's config gives a key ("" counts as none). */
function lookupIn(stack: string, env: NodeJS.ProcessEnv): (key: string) => string | undefined {
  return (key) => {
    const value = env[secretEnvName(key)] ?? fromPulumi(stack, key);
    return value === "" ? undefined : value;
  };
}

/** How to give a key a value, for the missing-secrets message. */
const howToSet = (stack: string) => (key: string) =>
  `  - ${key}: set ${secretEnvName(key)}, or run \`pulumi config set --secret --stack ${stack} ${key}\``;

/** Throws naming every secret the hosts' programs could not read. */
function checkValues(stack: string, values: Record<string, string>): void {
  const invalid = secretValueProblems(values);
  if (invalid.length > 0)
    throw new Error(
      `secrets for stack '${stack}' that the hosts' programs cannot read:\n${invalid.map((p) => `  - ${p}`).join("\n")}`,
    );
}

/** Every key's value, or an error naming each missing key and how to provide it. */
export function readSecrets(
  stack: string,
  keys: string[],
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const lookup = lookupIn(stack, env);
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const key of keys) {
    const value = lookup(key);
    if (value === undefined) missing.push(key);
    else values[key] = value;
  }
  if (missing.length > 0)
    throw new MissingSecretsError(`missing secrets for stack '${stack}':\n${missing.map(howToSet(stack)).join("\n")}`);
  checkValues(stack, values);
  return values;
}

/**
 * Every secret the fleet reads, as the program has them: each the stack sets, and each it derives
 * (a host's MQTT password from `mqtt-passwords-key`, src/model/secrets.ts).
 */
export function readFleetSecrets(
  stack: string,
  fleet: FleetModel,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const { values, explicit, missing } = completeSecrets(fleet, lookupIn(stack, env));
  if (missing.length > 0)
    throw new MissingSecretsError(
      `missing secrets for stack '${stack}':\n${missingSecretLines(missing, howToSet(stack)).join("\n")}`,
    );
  checkValues(stack, explicit);
  return values;
}
