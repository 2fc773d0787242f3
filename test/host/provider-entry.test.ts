/**
 * The entry text HostState and HealthGate carry as their provider, loaded as Pulumi's dynamic
 * provider host loads it (require-from-string, then .handler()).
 */
import assert from "node:assert/strict";
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
