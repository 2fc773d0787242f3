/**
 * `npm run render -- --stack <name> --out <dir> [--show-secrets]`
 *
 * Writes every host's files to <dir>/<host>/<absolute path> and <dir>/manifest.json. Needs no
 * host and no Pulumi CLI: it is what a new user runs first to see what the fleet will get.
 */
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { FleetConfigError, loadStackFile, stackFilePath } from "../model/load";
import { planFleet } from "../render";
import { parseArgs, UsageError } from "./args";
import { makeDirectories } from "./files";
import { hostTree, manifestOf } from "./render-tree";
import { readFleetSecrets } from "../secrets/source";

const usage = "usage: npm run render -- --stack <name> --out <dir> [--show-secrets]";

/** Remove a previous render so files that are no longer declared do not linger. */
function prepareOutDir(out: string): void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out: ${out} is not a directory`);
  if (existsSync(out) && readdirSync(out).length > 0) {
    if (!existsSync(join(out, "manifest.json"))) {
      throw new UsageError(
        `${out} is not empty and holds no manifest.json from a previous render; choose an empty or new directory`,
      );
    }
    rmSync(out, { recursive: true, force: true });
  }
  try {
    makeDirectories(out);
  } catch (err) {
    throw new UsageError(`--out: ${(err as Error).message}`);
  }
}

export function renderStack(stack: string, out: string, showSecrets: boolean): { files: number; hosts: number } {
  const fleet = loadStackFile(stackFilePath(stack));
  const plans = planFleet(fleet);
  const secrets = showSecrets ? readFleetSecrets(stack, fleet) : undefined;
  const trees = plans.map((plan) => hostTree(plan, secrets));
  prepareOutDir(out);
  for (const file of trees.flat()) {
    const target = join(out, file.host, file.path);
    makeDirectories(dirname(target));
    // Secret files stay private even in a local render.
    writeFileSync(target, file.content, { mode: file.secret ? 0o600 : 0o644 });
  }
  writeFileSync(
    join(out, "manifest.json"),
    JSON.stringify(manifestOf(stack, plans, trees, showSecrets), null, 2) + "\n",
  );
  return { files: trees.flat().length, hosts: plans.length };
}

function main(argv: string[]): number {
  try {
    const { values, switches } = parseArgs(argv, { values: ["stack", "out"], switches: ["show-secrets", "help"] });
    if (switches.has("help")) {
      console.log(usage);
      return 0;
    }
    if (!values.stack || !values.out) throw new UsageError("--stack and --out are required");
    const { files, hosts } = renderStack(values.stack, resolve(values.out), switches.has("show-secrets"));
    console.log(`rendered ${files} files for ${hosts} hosts of stack '${values.stack}' into ${values.out}`);
    return 0;
  } catch (err) {
    // Known errors are complete sentences; a stack trace would only hide them.
    if (err instanceof UsageError) console.error(`render: ${err.message}\n${usage}`);
    else if (err instanceof FleetConfigError) console.error(err.message);
    else console.error(`render: ${(err as Error).message}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
