/** The README is part of the product: its reference and secret list must match the code. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { sshPrivateKeySecret } from "../../src/model/fleet";
import { secretsToSet } from "../../src/model/secrets";
import { loadStackFile } from "../../src/model/load";
import { serviceReferenceTable, undescribedOptions } from "../../src/services/reference";

const readme = readFileSync("README.md", "utf8");

test("the README's service reference is the one the schemas generate", () => {
  assert.ok(readme.includes(serviceReferenceTable()), `README.md must contain:\n${serviceReferenceTable()}`);
});

test("every option of every service module says what it does (the reference's last column)", () => {
  assert.deepEqual(undescribedOptions(), []);
});

test("the README gives a `pulumi config set --secret` command for every secret the home stack sets", () => {
  const keys = [...secretsToSet(loadStackFile("stacks/Pulumi.home.yaml")), sshPrivateKeySecret];
  for (const key of keys) assert.match(readme, new RegExp(`pulumi config set --secret --stack home ${key}\\b`), key);
});

test("the README's apt-get line installs exactly the Debian packages .ci/run installs", () => {
  const packages = (text: string) =>
    text
      .replace(/\\\n/g, " ")
      .replace(/\s+/g, " ")
      .match(/apt-get install ([^`>]*)/)![1]
      .split(" ")
      .filter((w) => w && !w.startsWith("-"))
      .sort();
  assert.deepEqual(packages(readme), packages(readFileSync(".ci/run", "utf8")));
});

test("the README's test command is the one CI runs", () => {
  const ci = readFileSync(".ci/run", "utf8");
  assert.match(readme, /^npm test\b/m);
  assert.match(ci, /^npm test$/m);
  assert.match(ci, /^npm ci\b/m);
});
