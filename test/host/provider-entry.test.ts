import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { healthGateProvider } from "../../src/host/resources/health-gate-provider";
import { providerEntry } from "../../src/host/resources/provider-entry";

const entry = providerEntry("src/host/resources/health-gate-provider", "healthGateProvider", healthGateProvider);

test("an entry has exactly the methods of the provider it loads (the SDK treats a missing read as no read)", () => {
  assert.deepEqual(Object.keys(entry).sort(), Object.keys(healthGateProvider).sort());
  assert.equal("read" in entry, false);
});

test("an entry's method loads the named module from the working directory and answers as the provider does", async () => {
  const news = { connection: { host: "" }, script: " " } as never;
  const viaEntry = await entry.check!({}, news);
  assert.deepEqual(viaEntry, await healthGateProvider.check({} as never, news));
  assert.ok(viaEntry.failures!.some((f) => f.property === "script"));
});

test("an entry finds the project from a directory below it, as the engine starts providers in src/", async () => {
  const cwd = process.cwd();
  process.chdir(join(cwd, "src", "host"));
  try {
    const viaEntry = await entry.check!({}, { connection: { host: "" }, script: "true" });
    assert.ok(Array.isArray(viaEntry.failures));
  } finally {
    process.chdir(cwd);
  }
});

test("an entry naming a module the project does not have fails when it is used, naming the module", () => {
  const wrong = providerEntry("src/host/resources/no-such-provider", "x", healthGateProvider);
  assert.throws(() => wrong.check!({}, {}), /no-such-provider/);
});
