/** Secret values are checked where a host's program limits them; problems name the key, never the value. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFleet } from "../../src/model/load";
import {
  completeSecrets,
  derivedSecretSources,
  derivedSecretValue,
  requiredSecretKeys,
  secretsToSet,
  secretValueProblems,
} from "../../src/model/secrets";
import { stackFleet } from "../support/stack-fleet";
import { testSecretValues, throwawayPrivateKey } from "../support/test-secrets";

const ups = (value: string) => secretValueProblems({ "ups-monitor-password": value });

test("the UPS monitor password is one NUT word: each forbidden character is named", () => {
  assert.deepEqual(ups("3f9c0d6e1b2a4c5d"), []);
  assert.deepEqual(ups("ab'`@:,[]{}$%&*()+<>/?|~^!;.-_é"), [], "what NUT 2.8.0 accepted");
  const named = (value: string) =>
    /^secret 'ups-monitor-password' holds (.*?): NUT's upsmon/.exec(ups(value)[0] ?? "")?.[1];
  assert.equal(named("pa ss"), "whitespace");
  assert.equal(named("pa\tss"), "whitespace");
  assert.equal(named("pa\nss"), "whitespace");
  assert.equal(named('pa"ss'), `'"'`);
  assert.equal(named("pa\\ss"), "'\\'");
  assert.equal(named("pa=ss"), "'='");
  assert.equal(named("pa#ss"), "'#'");
  assert.equal(named("pa\u0007ss"), "a control character");
  assert.equal(named('a b"c=d'), `whitespace, '"', '='`);
  assert.deepEqual(ups(""), ["secret 'ups-monitor-password' is empty"]);
});

test("passwords are one line; a private key may span lines; no value is quoted", () => {
  const problems = secretValueProblems({
    "mqtt-password-vega": "hunter2\nsecond",
    "nodered-credential-secret": "line\r",
    "mqtt-password-lyra": 'spaces are fine = # "quoted"',
    "config-sync-ssh-key": throwawayPrivateKey(),
    "mqtt-password-mirror-1": undefined,
  });
  assert.deepEqual(problems, [
    "secret 'mqtt-password-vega' holds a line break (expected one line)",
    "secret 'nodered-credential-secret' holds a line break (expected one line)",
  ]);
  assert.ok(problems.every((p) => !p.includes("hunter2") && !p.includes("second")));
});

test("an empty password, and a config-sync key ssh cannot read, are refused before anything is declared", () => {
  assert.deepEqual(secretValueProblems({ "mqtt-password-mirror-1": "", "nodered-credential-secret": " " }), [
    "secret 'mqtt-password-mirror-1' is empty or only whitespace (expected a password, e.g. from `openssl rand -hex 24`)",
    "secret 'nodered-credential-secret' is empty or only whitespace (expected a password, e.g. from `openssl rand -hex 24`)",
  ]);
  const key = (value: string) => secretValueProblems({ "config-sync-ssh-key": value });
  assert.deepEqual(key(throwawayPrivateKey()), []);
  const garbage = "-----BEGIN OPENSSH PRIVATE KEY-----\nTEST-SECRET-abc\n-----END OPENSSH PRIVATE KEY-----\n";
  assert.match(key(garbage)[0] ?? "", /^secret 'config-sync-ssh-key' is not an SSH private key/);
  assert.ok(!key(garbage)[0].includes("TEST-SECRET"), "the value is never quoted");
  assert.match(key("")[0] ?? "", /^secret 'config-sync-ssh-key' is /);
});

test("the hosts' own MQTT passwords, and only theirs, may be derived from mqtt-passwords-key", () => {
  const fleet = parseFleet(stackFleet("home"), "test");
  const sources = derivedSecretSources(fleet);
  assert.deepEqual(
    [...sources.keys()].sort(),
    ["lyra", "mirror-1", "mirror-2", "vega"].map((host) => `mqtt-password-${host}`),
  );
  assert.deepEqual(new Set(sources.values()), new Set(["mqtt-passwords-key"]));
  // Users that people and the runbook read their passwords for are not derived.
  for (const user of ["monitor", "nodered", "orchestrator"]) assert.ok(!sources.has(`mqtt-password-${user}`), user);
  // What the stack sets: the key in the hosts' passwords' place, the others as they are.
  const toSet = secretsToSet(fleet);
  assert.ok(toSet.includes("mqtt-passwords-key") && toSet.includes("mqtt-password-monitor"));
  assert.ok(!toSet.some((key) => sources.has(key)));
});

test("completeSecrets: the stack's own value wins, the rest is derived, a missing source is named once", () => {
  const fleet = parseFleet(stackFleet("home"), "test");
  const given: Record<string, string> = { ...testSecretValues(requiredSecretKeys(fleet)) };
  for (const key of derivedSecretSources(fleet).keys()) delete given[key];
  given["mqtt-password-vega"] = "vega-own";

  const without = completeSecrets(fleet, (key) => given[key]);
  assert.deepEqual(without.missing, [
    { key: "mqtt-passwords-key", instead: ["mqtt-password-lyra", "mqtt-password-mirror-1", "mqtt-password-mirror-2"] },
  ]);

  const key = "a-random-key-of-32-characters!!!";
  const withKey = completeSecrets(fleet, (k) => (k === "mqtt-passwords-key" ? key : given[k]));
  assert.deepEqual(withKey.missing, []);
  assert.deepEqual(Object.keys(withKey.values).sort(), requiredSecretKeys(fleet));
  assert.equal(withKey.values["mqtt-password-vega"], "vega-own");
  assert.equal(withKey.values["mqtt-password-mirror-1"], derivedSecretValue(key, "mqtt-password-mirror-1"));
  // What was given is what gets checked: the source included, nothing derived.
  assert.equal(withKey.explicit["mqtt-passwords-key"], key);
  assert.ok(!("mqtt-password-mirror-1" in withKey.explicit));
});

test("a derived password is stable, one line, its host's own, and depends on the whole key", () => {
  const key = "0123456789abcdef0123456789abcdef";
  const value = derivedSecretValue(key, "mqtt-password-mirror-1");
  assert.equal(value, derivedSecretValue(key, "mqtt-password-mirror-1"));
  assert.match(value, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(value, derivedSecretValue(key, "mqtt-password-mirror-2"));
  assert.notEqual(value, derivedSecretValue(`${key.slice(0, -1)}0`, "mqtt-password-mirror-1"));
  assert.deepEqual(secretValueProblems({ "mqtt-password-mirror-1": value }), []);
});

test("mqtt-passwords-key is one line of at least 16 characters, named without its value", () => {
  assert.deepEqual(secretValueProblems({ "mqtt-passwords-key": "0123456789abcdef" }), []);
  assert.deepEqual(secretValueProblems({ "mqtt-passwords-key": "0123456789abcde" }), [
    "secret 'mqtt-passwords-key' holds 15 characters (expected a random key of at least 16, e.g. from `openssl rand -hex 32`)",
  ]);
  assert.deepEqual(secretValueProblems({ "mqtt-passwords-key": "0123456789abcdef\n0123456789abcdef" }), [
    "secret 'mqtt-passwords-key' holds a line break (expected one line)",
  ]);
});
