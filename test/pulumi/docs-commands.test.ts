/**
 * Issue 11 item 4, by the real CLI on the lab: every command the docs site prints for an operator
 * (the host pages' checks and recovery commands, the recovery page's scenarios and rebuilds) runs
 * on the converged lab, where its block says, exactly as printed (placeholders filled in as the
 * docs say), and exits 0; where the docs promise an output (an HTTP 200, n MQTT messages, the host
 * key to pin) the output is checked too. The commands are read from the pages the lab's docs host
 * serves, so a command a renderer adds is run without touching this file.
 *
 * Destructive ones (restarts, a restore, a mirror rebuilt from a re-flashed host) run too: the pages that only
 * look first, then the host pages, the recovery page last (its converge and `verify --watch` bring
 * everything back), and a final verify proves the lab is left green.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { join } from "node:path";
import { loadStackFile } from "../../src/model/load";
import { planFleet } from "../../src/render";
import { docsDir, docsRoot, recoveryPagePath } from "../../src/render/docs/paths";
import { docsCommands, type DocsCommand } from "../../src/render/docs/shell";
import type { ExecResult } from "../lab/lab";
import { ensureLab, wipeHost, type Lab } from "../lab/lab";
import { labStack, type LabStack } from "../lab/pulumi-lab";
import { operatorMachine, Placeholders, runWhere, type Operator } from "./docs-commands";
import { pulumiOk, qdrant, root, sh, verify } from "./support";

const STACK = ["--stack", "lab"];

let lab: Lab;
let stack: LabStack;
let operator: Operator;

before(async () => {
  lab = await ensureLab();
  stack = await labStack();
  operator = operatorMachine(lab, stack);
});

after(async () => {
  operator?.close();
  // A restore moves the data it replaces aside (`<path>.lyra-replaced-<time>`): not the lab's to keep.
  for (const plan of planFleet(loadStackFile(join(root, "stacks", "Pulumi.lab.yaml"))))
    for (const d of plan.dataSets) if (d.backup) await sh(lab, plan.host, `rm -rf '${d.path}'.lyra-replaced-*`);
});

const where = (c: DocsCommand) => (c.where === "operator" ? "operator" : c.where.host);

/** Secrets never reach the test's output: every stack secret is masked in what a command printed. */
function scrub(text: string): string {
  return stack.secretValues.reduce((t, s) => (s.length >= 8 ? t.split(s).join("<secret>") : t), text);
}

/** The site's pages as the docs host serves them, host pages first and the recovery page last. */
async function servedPages(): Promise<{ path: string; title: string; content: string }[]> {
  const plans = planFleet(loadStackFile(join(root, "stacks", "Pulumi.lab.yaml")));
  const prefix = `${docsRoot}/${docsDir}/`;
  const docsHost = plans.find((p) => p.files.some((f) => f.path === `${docsRoot}/mkdocs.yml`));
  assert.ok(docsHost, "no host of the lab stack serves the docs site (no plan declares mkdocs.yml)");
  const paths = docsHost.files
    .map((f) => f.path)
    .filter((p) => p.startsWith(prefix) && p.endsWith(".md"))
    .map((p) => p.slice(prefix.length));
  // Pages that only look first (checks.md's verify without --watch wants the fleet as converged),
  // then the host pages with their restarts, then the recovery page, whose converge and
  // `verify --watch` bring everything back.
  const rank = (p: string) => (p.startsWith("hosts/") ? 1 : p === recoveryPagePath ? 2 : 0);
  paths.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const pages = [];
  for (const path of paths) {
    pages.push({ path, title: path, content: (await sh(lab, docsHost.host, `cat ${prefix}${path}`)) + "\n" });
  }
  return pages;
}

/** What a failed command printed that says why: lines that fail or complain, then its last lines. */
function telling(output: string): string {
  const lines = output.split("\n");
  const why = lines.filter((l) => /\bfail(ed)?\b|error|denied|refused|not found/i.test(l));
  return [...new Set([...why.slice(0, 20), ...lines.slice(-8)])].join("\n");
}

/** What the docs promise a command prints, checked on its output; a failure message or undefined. */
function brokenPromise(c: DocsCommand, result: ExecResult): string | undefined {
  const out = result.stdout.trim();
  if (c.command.includes("-w '%{http_code}\\n'") && out !== "200") return `expected it to print 200, got '${out}'`;
  const count = /mosquitto_sub .*-C (\d+)/.exec(c.command)?.[1];
  if (count !== undefined && out.split("\n").filter((l) => l !== "").length !== Number(count))
    return `expected ${count} MQTT messages, got ${out === "" ? 0 : out.split("\n").length}`;
  if (c.command.startsWith("ssh-keyscan")) {
    const host = lab.fleetHosts.find((h) => c.command.endsWith(` ${h.address}`));
    if (!host) return "names no lab host's address";
    if (!out.includes(host.hostKey)) return `expected the pinned key of ${host.name} (${host.hostKey}), got '${out}'`;
  }
  // An app's `--version` prints the release the page names in its path (/opt/lyra/apps/<app>/<version>/).
  const release = /^\/opt\/lyra\/apps\/([^/]+)\/([^/]+)\/\S+ --version$/.exec(c.command);
  if (release && out !== `${release[1]} ${release[2]}`) return `expected '${release[1]} ${release[2]}', got '${out}'`;
  return undefined;
}

/**
 * qdrant holds a collection, as the household's would: an empty data set is never backed up, so
 * the docs' "a backup now, list the backups, restore one" has something to list and restore.
 */
async function qdrantHoldsData(): Promise<void> {
  const { result } = await qdrant("GET", "/collections");
  if (result.collections.some((c: { name: string }) => c.name === "docs-commands")) return;
  await qdrant("PUT", "/collections/docs-commands", { vectors: { size: 4, distance: "Dot" } });
  await qdrant("PUT", "/collections/docs-commands/points", { points: [{ id: 1, vector: [0.1, 0.2, 0.3, 0.4] }] });
}

test("the lab stack converges and verify is green", { timeout: 20 * 60_000 }, async () => {
  await pulumiOk(stack, ["up", ...STACK, "--yes"]);
  const green = await verify(lab, ["--watch", "--deadline", "300"]);
  assert.equal(green.code, 0, `verify did not turn green:\n${green.stdout}\n${green.stderr}`);
  await qdrantHoldsData();
});

test(
  "every command the docs print runs on the lab where its block says, exactly as printed, and exits 0",
  { timeout: 60 * 60_000 },
  async (t) => {
    const pages = await servedPages();
    const commands = pages.flatMap((p) => docsCommands(p));
    const placeholders = new Placeholders(lab);
    const failures: string[] = [];
    for (const c of commands) {
      // A rebuild's step 1 is prose ("re-flash the SD card"): the lab re-flashes the host the rebuild's
      // first command names, so the commands after it rebuild a host that really is empty.
      const reflash = c.command.startsWith("ssh-copy-id")
        ? lab.fleetHosts.find((h) => c.command.endsWith(`@${h.address}`))
        : undefined;
      if (reflash) {
        await wipeHost(reflash.name);
        t.diagnostic(`re-flashed ${reflash.name} (lab.sh wipe), as the rebuild's step 1 says`);
      }
      let command: string;
      try {
        command = placeholders.fill(c);
      } catch (err) {
        t.diagnostic(`FAILED on ${where(c)} (${c.page}): ${c.command}`);
        failures.push(`${c.page}, on ${where(c)}: ${c.command}\n  ${(err as Error).message}`);
        continue;
      }
      const result = await runWhere(lab, operator, c, command);
      placeholders.saw(command, result);
      const broken = result.code !== 0 ? `exit ${result.code}` : brokenPromise(c, result);
      t.diagnostic(`${broken ? "FAILED" : "ok"} on ${where(c)} (${c.page}): ${c.command}`);
      if (broken) {
        failures.push(
          `${c.page}, on ${where(c)}: ${c.command}\n  ${broken}\n${scrub(telling(result.stdout + result.stderr))}`,
        );
      }
    }
    const perPage = pages.map((p) => `${p.path} ${commands.filter((c) => c.page === p.path).length}`).join(", ");
    t.diagnostic(`commands run per page: ${perPage}; ${commands.length} in all`);
    assert.ok(commands.length > 0, "the served pages print no command at all");
    assert.deepEqual(failures, [], `docs commands that failed on the lab:\n\n${failures.join("\n\n")}`);
  },
);

test("the lab is left converged: verify is green after every docs command ran", { timeout: 10 * 60_000 }, async () => {
  const green = await verify(lab, ["--watch", "--deadline", "300"]);
  assert.equal(green.code, 0, `verify did not turn green:\n${green.stdout}\n${green.stderr}`);
});
