/**
 * The entry text HostState and HealthGate carry as their provider, loaded as Pulumi's dynamic
 * provider host loads it (require-from-string, then .handler()).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { healthGateEntry } from "../../src/host/resources/health-gate";
import { healthGateProvider } from "../../src/host/resources/health-gate-provider";
import { providerEntryText } from "../../src/host/resources/provider-entry";

const requireFromString = require("require-from-string") as (code: string) => { handler(): Record<string, any> };
const load = (text: string) => requireFromString(text).handler();

test("an entry has exactly the methods of the provider it loads (the SDK treats a missing read as no read)", () => {
  const entry = load(healthGateEntry);
  assert.deepEqual(Object.keys(entry).sort(), Object.keys(healthGateProvider).sort());
  assert.equal("read" in entry, false);
});

test("an entry's method loads the named module from the project and answers as the provider does", async () => {
  const news = { connection: { host: "" }, script: " " } as never;
  const viaEntry = await load(healthGateEntry).check({}, news);
  assert.deepEqual(viaEntry, await healthGateProvider.check({} as never, news));
  assert.ok(viaEntry.failures?.some((f) => f.property === "script"));
});

test("an entry finds the project from a directory below it, as the engine starts providers in src/", async () => {
  const cwd = process.cwd();
  process.chdir(join(cwd, "src", "host"));
  try {
    const viaEntry = await load(healthGateEntry).check({}, { connection: { host: "" }, script: "true" });
    assert.ok(Array.isArray(viaEntry.failures));
  } finally {
    process.chdir(cwd);
  }
});

test("an entry naming a module the project does not have fails when it is used, naming the module", () => {
  const wrong = load(providerEntryText("src/host/resources/no-such-provider", "x", healthGateProvider));
  assert.throws(() => wrong.check({}, {}), /no-such-provider/);
});

/**
 * In a fresh node started in `project`, loads an entry for `module` and calls its check: what it
 * answered, and which loader it registered (the project's, or tsx).
 */
function loadInFreshNode(project: string, module: string, exportName: string): { answer: unknown; loaders: string[] } {
  const entry = providerEntryText(module, exportName, { check: () => undefined });
  const script = `
    const entry = require(${JSON.stringify(require.resolve("require-from-string"))})(${JSON.stringify(entry)}).handler();
    Promise.resolve(entry.check({}, {})).then((answer) => {
      const loaders = Object.keys(require.cache)
        .filter((file) => file.endsWith("program-loader.cjs") || file.includes("/node_modules/tsx/"))
        .map((file) => (file.endsWith("program-loader.cjs") ? "program-loader" : "tsx"));
      console.log(JSON.stringify({ answer, loaders: [...new Set(loaders)] }));
    });
  `;
  const run = spawnSync(process.execPath, ["-e", script], { cwd: project, encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

test("in the project an entry loads its module through the project's loader, without tsx", () => {
  const project = join(__dirname, "..", "..");
  const { answer, loaders } = loadInFreshNode(project, "src/host/resources/health-gate-provider", "healthGateProvider");
  assert.ok(Array.isArray((answer as { failures?: unknown[] }).failures));
  assert.deepEqual(loaders, ["program-loader"]);
});

test("in a checkout from before the loader an entry loads its module through tsx, as it did then", () => {
  const project = mkdtempSync(join(tmpdir(), "lyra-entry-before-loader-"));
  try {
    writeFileSync(join(project, "Pulumi.yaml"), "name: before-loader\nruntime: nodejs\n");
    symlinkSync(join(__dirname, "..", "..", "node_modules"), join(project, "node_modules"));
    mkdirSync(join(project, "src"));
    writeFileSync(
      join(project, "src", "provider.ts"),
      `export const provider = { check: (): { via: string } => ({ via: "tsx" }) };\n`,
    );
    assert.deepEqual(loadInFreshNode(project, "src/provider", "provider"), {
      answer: { via: "tsx" },
      loaders: ["tsx"],
    });
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});
