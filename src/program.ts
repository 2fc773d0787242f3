/**
 * The program `pulumi up` runs, once ./index.ts has asked for the provider: load the stack's fleet,
 * build every host's plan, declare the resources, export what operators look up. An invalid stack
 * throws before any resource exists.
 */
import * as pulumi from "@pulumi/pulumi";
import { sshPrivateKeySecret } from "./model/fleet";
import { fleetConfigKey, parseFleet, stackFilePath } from "./model/load";
import { completeSecrets, missingSecretLines, secretValueProblems } from "./model/secrets";
import { planFleet } from "./render";
import { Fleet } from "./fleet/fleet";
import { fleetExports } from "./fleet/exports";
import { applySdkChanges } from "./fleet/sdk-changes";
import { brokerOf } from "./services/mqtt-broker/placement";

/**
 * Declares the stack; settles with its outputs once every resource is declared. A function, not
 * the module's own code: the program's bundle (esbuild) hoists a required module's top-level names
 * (./index.ts requires this one) into the bundle's own scope, where they live as long as the
 * process. Held there, the plans of 1000 mirrors took the real preview's program to 390-397 MB
 * (bench/cli-preview.ts, four runs of 3), not 342 MB; here they go once the fleet lets them go.
 */
export function declareStack(): Promise<{ hosts: ReturnType<typeof fleetExports>; broker: string }> {
  // Before any resource (./fleet/sdk-changes.ts): most of a large fleet's evaluation time was the SDK's.
  applySdkChanges();

  const stack = pulumi.getStack();
  const config = new pulumi.Config("lyra-fleet");
  const model = parseFleet(config.getObject<unknown>(fleetConfigKey.split(":")[1]), stackFilePath(stack));
  const plans = planFleet(model);

  // The whole stack config, read once: each Config.get* call parses all of it again, which is
  // quadratic in a fleet with a secret per mirror.
  const stackConfig = pulumi.runtime.allConfig();
  const configValue = (key: string): string | undefined => stackConfig[`lyra-fleet:${key}`];

  // Every missing secret at once, before any resource is declared. A host's own MQTT password the
  // stack does not set is derived from one secret (src/model/secrets.ts): the engine scrubs every
  // config secret from every string it shows, and at 1000 mirrors one secret per mirror made that
  // scan most of its CPU (bench/cli-preview.ts).
  const { values, explicit, missing } = completeSecrets(model, configValue);
  if (missing.length > 0) {
    const lines = missingSecretLines(missing, (key) => `  pulumi config set --secret --stack ${stack} ${key}`);
    throw new Error(
      `${stackFilePath(stack)}: missing secrets; nothing was changed. Set them with:\n${lines.join("\n")}`,
    );
  }
  const invalid = secretValueProblems({ ...explicit, [sshPrivateKeySecret]: configValue(sshPrivateKeySecret) });
  if (invalid.length > 0) {
    throw new Error(
      `${stackFilePath(stack)}: secrets that the hosts' programs cannot read; nothing was changed:\n${invalid.map((p) => `  ${p}`).join("\n")}`,
    );
  }
  const secrets = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, pulumi.secret(value)]));
  const operatorKey = configValue(sshPrivateKeySecret);
  const privateKey = operatorKey === undefined ? undefined : pulumi.secret(operatorKey);
  // The stack's outputs (`pulumi stack output hosts`, `broker`), made now so that nothing keeps the
  // plans once the fleet has declared each host's resources (./fleet/fleet.ts).
  const outputs = { hosts: fleetExports(plans), broker: `${brokerOf(model).host}:${brokerOf(model).port}` };
  const fleet = new Fleet("fleet", { plans, secrets, privateKey });

  // Settles once the fleet is declared: it is declared in turns, and the runner waits for what the
  // program exports (./index.ts).
  return fleet.declared.then(() => outputs);
}
