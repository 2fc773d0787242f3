/**
 * The HealthGate provider against the in-process SSH server: a passing script is recorded, a
 * failing one fails naming the host and what the script said (never its stdin), and the gate runs
 * again exactly when its script, stdin or triggers change.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { healthGateProvider, type HealthGateInputs } from "../../src/host/resources/health-gate-provider";
import { type FakeSshServer, startFakeSshServer } from "./support/fake-ssh-server";

let server: FakeSshServer;
const password = "TEST-SECRET-gate-password";

before(async () => {
  server = await startFakeSshServer();
});

after(async () => {
  await server.close();
});

const inputs = (script: string, triggers = ["t1"]): HealthGateInputs => ({
  connection: server.connectionAs("fake-mirror"),
  label: "health",
  script,
  stdin: `${password}\n`,
  triggers,
  timeoutMs: 30_000,
});

test("a passing gate is recorded with its output; its stdin is kept only as a digest", async () => {
  const created = await healthGateProvider.create(inputs('IFS= read -r p; [ -n "$p" ] && echo "ok: services"'));
  assert.equal(created.id, "fake-mirror:health");
  assert.equal(created.outs!.stdout, "ok: services");
  assert.match(created.outs!.stdinSha256, /^[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(created.outs).includes(password), "the password is not in the state");
});

test("a failing gate fails naming the host and what is still failing, never its stdin", async () => {
  const script = `IFS= read -r p; echo "got $p" >/dev/null; echo 'fake-mirror: stt-service health: still failing after 1 s' >&2; exit 1`;
  await assert.rejects(healthGateProvider.create(inputs(script)), (err: Error) => {
    assert.match(
      err.message,
      /^fake-mirror \(root@127\.0\.0\.1:\d+\): health gate failed: fake-mirror: stt-service health: still failing after 1 s$/,
    );
    assert.ok(!err.message.includes(password));
    return true;
  });
});

test("the gate runs again when its script, stdin or a trigger changes, and only then", async () => {
  const olds = (await healthGateProvider.create(inputs("true"))).outs!;
  const diff = (news: HealthGateInputs) => healthGateProvider.diff("fake-mirror:health", olds, news);
  assert.equal((await diff(inputs("true"))).changes, false);
  assert.equal((await diff(inputs("true", ["t2"]))).changes, true, "a trigger");
  assert.equal((await diff(inputs("exit 0"))).changes, true, "the script");
  assert.equal((await diff({ ...inputs("true"), stdin: "rotated\n" })).changes, true, "the stdin");
  // While a trigger is not known yet (a preview of a host that will change), it will run.
  assert.equal((await diff(inputs("true", ["04da6b54-80e4-46f7-96ec-b56ff0331ba9"]))).changes, true);
});
