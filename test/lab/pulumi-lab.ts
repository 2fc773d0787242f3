/**
 * The lab stack under the real Pulumi CLI (pulumi-stack.ts): stacks/Pulumi.lab.yaml's fleet on the
 * three lab hosts, in the stack `lab`, with backend, PULUMI_HOME and project copy under
 * ${LYRA_LAB_DIR}/pulumi.
 *
 *   const stack = await labStack();
 *   const run = await stack.pulumi(["up", "--stack", "lab", "--yes"]);
 *
 * Run directly, it is `npm run lab:pulumi -- <pulumi arguments>` (and `npm run lab:converge`).
 * It never runs `lab.sh up`: a host the lab unplugged stays unplugged, as the fault it stands for.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { stackFleet } from "../support/stack-fleet";
import { labDir } from "./lab";
import { ensureCli, pulumiStack, stackSecrets, stackSecretValues, type LabStack, type StackSpec } from "./pulumi-stack";

export type { LabStack, PulumiOptions, PulumiRun } from "./pulumi-stack";
export { ensureCli } from "./pulumi-stack";

/** Everything of the lab's Pulumi stack: backend, PULUMI_HOME, the project copy. */
export const pulumiDir = () => join(labDir, "pulumi");
const secretsPath = () => join(labDir, "lab-secrets.json");

/** The secrets the lab stack sets: random once, then stable (a changed secret would not be a no-op). */
const labStackSecrets = (): Record<string, string> =>
  stackSecrets(stackFleet("lab"), "stacks/Pulumi.lab.yaml", secretsPath());

/** Every secret the program reads for the lab stack: those it sets, and the hosts' MQTT passwords derived from them. */
export function labSecrets(): Record<string, string> {
  return stackSecretValues(stackFleet("lab"), "stacks/Pulumi.lab.yaml", labStackSecrets());
}

/** The lab stack as pulumi-stack.ts sets stacks up; its fleet is the checkout's stack file's. */
export const labStackSpec = (): StackSpec => ({
  stack: "lab",
  dir: pulumiDir(),
  fleet: () => stackFleet("lab"),
  secrets: labStackSecrets,
});

/**
 * The lab stack, ready for `pulumi preview/up`. `fresh` forgets any earlier stack (backend,
 * PULUMI_HOME, project copy), as a new user starts; otherwise an existing stack is reused.
 */
export function labStack(options: { fresh?: boolean } = {}): Promise<LabStack> {
  return pulumiStack(labStackSpec(), options);
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
