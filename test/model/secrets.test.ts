/** Secret values are checked where a host's program limits them; problems name the key, never the value. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { secretValueProblems } from "../../src/model/secrets";
import { throwawayPrivateKey } from "../support/test-secrets";

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
