/** verify's own errors: one clear sentence, the right exit code, no stack trace, nothing secret. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../support/cli";

const noTrace = (s: string) => assert.doesNotMatch(s, /\n\s+at .+:\d+:\d+/, `stack trace in:\n${s}`);

test("a missing monitor password names the variable and the pulumi command; exit 2", async () => {
  const run = await runCli("verify", ["--stack", "home", "--only", "mqtt"]);
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /^verify: missing secrets for stack 'home':\n {2}- mqtt-password-monitor: set LYRA_SECRET_MQTT_PASSWORD_MONITOR, or run `pulumi config set --secret --stack home mqtt-password-monitor`\n$/,
  );
  noTrace(run.stderr);
});

test("no SSH key and no agent: says the four ways to give one; exit 2", async () => {
  const run = await runCli("verify", ["--stack", "home", "--only", "unit"], { SSH_AUTH_SOCK: "" });
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /^verify: no SSH key: pass --identity <file>, set LYRA_SECRET_SSH_PRIVATE_KEY, run `pulumi config set --secret --stack home ssh-private-key`, or start ssh-agent\n$/,
  );
});

test("an SSH key that is set but unreadable is said so, even with an agent, and not quoted; exit 2", async () => {
  const run = await runCli("verify", ["--stack", "home", "--only", "unit"], {
    LYRA_SECRET_SSH_PRIVATE_KEY: "TEST-SECRET-not-a-key",
    SSH_AUTH_SOCK: "/run/agent.sock",
  });
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /^verify: secrets for stack 'home' that the hosts' programs cannot read:\n {2}- secret 'ssh-private-key' is not an SSH private key /,
  );
  assert.doesNotMatch(run.stderr, /TEST-SECRET/);
  noTrace(run.stderr);
});

test("usage errors: unknown kind, unknown host, --deadline without --watch, bad numbers; exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["--stack", "home", "--only", "foo"], /^verify: --only: unknown check kind 'foo' \(expected http, unit, /],
    [
      ["--stack", "home", "--host", "mirror-9"],
      /^verify: --host: no host named 'mirror-9' in stacks\/Pulumi\.home\.yaml \(hosts: lyra, mirror-1, mirror-2, vega\)/,
    ],
    [["--stack", "home", "--deadline", "30"], /^verify: --deadline only applies with --watch/],
    [
      ["--stack", "home", "--stale-after", "-3"],
      /^verify: --stale-after expects a positive number of seconds, got '-3'/,
    ],
    [
      ["--stack", "nope"],
      /^stacks\/Pulumi\.nope\.yaml: 1 problem in lyra-fleet:fleet; nothing was changed:\n {2}- \(top level\): cannot read the stack file: no such file/,
    ],
    [[], /^verify: --stack is required/],
    // Read for ever before (a device), or blocked on open (a FIFO would be the same).
    [
      ["--stack-file", "/dev/zero"],
      /^\/dev\/zero: 1 problem in lyra-fleet:fleet; nothing was changed:\n {2}- \(top level\): cannot read the stack file: not a regular file/,
    ],
    [
      ["--stack", "home", "--only", "unit", "--identity", "/dev/zero"],
      /^verify: --identity: cannot read \/dev\/zero \(not a regular file\)/,
    ],
    [["--stack", "home", "--host", ""], /^verify: --host needs a value, not an empty one/],
    [["--stack", "home", "--stack", "lab"], /^verify: --stack is given twice \('home' and 'lab'\): give it once/],
  ];
  for (const [args, expected] of cases) {
    const run = await runCli("verify", args);
    assert.equal(run.code, 2, args.join(" "));
    assert.match(run.stderr, expected);
    noTrace(run.stderr);
  }
});

test("--host with an empty name is refused, not read as every host; exit 2", async () => {
  for (const hosts of ["vega,", ","]) {
    const run = await runCli("verify", ["--stack", "home", "--host", hosts]);
    assert.equal(run.code, 2);
    assert.ok(
      run.stderr.startsWith(
        `verify: --host: an empty name in '${hosts}' (expected names separated by commas, e.g. vega,mirror-1)\n(usage: `,
      ),
      run.stderr,
    );
  }
});
