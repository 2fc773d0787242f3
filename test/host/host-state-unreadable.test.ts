/**
 * A host that cannot be read at refresh (a host key that no longer matches, an sshd that never
 * answers) keeps its last known state, marked unreadable, instead of failing the refresh (which
 * would stop the whole `pulumi up`). Nothing runs on a host whose key does not match; the diff does
 * not contact the host; the update reads it again first and fails, or converges it, as it answers.
 * Against the in-process SSH server (commands run on this machine, in a temp directory).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { HostConnection } from "../../src/host/transport/connection";
import {
  hostStateProvider,
  type HostStateInputs,
  type HostStateOutputs,
} from "../../src/host/resources/host-state-provider";
import { type FakeSshServer, startFakeSshServer, startSilentListener } from "./support/fake-ssh-server";
import { testSshKey } from "../support/ssh-test-key";

let server: FakeSshServer;
let connection: HostConnection;
let dir: string;
let state: HostStateOutputs;
const id = "fake-mirror:state";
const meta = { mode: "0644", owner: "root", group: "root" };

const inputs = (via: HostConnection = connection): HostStateInputs => ({
  connection: via,
  packages: [],
  directories: { [dir]: { ...meta, mode: "0755" } },
  files: { [join(dir, "client.conf")]: { content: "broker = vega\n", ...meta } },
  secretFiles: {},
  artifacts: {},
  units: {},
});

before(async () => {
  server = await startFakeSshServer();
  connection = server.connectionAs("fake-mirror");
  dir = mkdtempSync(join(tmpdir(), "lyra-unreadable-"));
  state = (await hostStateProvider.create(inputs())).outs!;
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a host key that no longer matches: the refresh marks the state, runs nothing, and the update refuses", async () => {
  const rekeyed = { ...connection, hostKey: testSshKey().publicKey };
  const before = server.commands.length;
  const read = (await hostStateProvider.read(id, { ...state, connection: rekeyed })).props!;
  assert.match(read.unreadable ?? "", /^fake-mirror \(root@127\.0\.0\.1:\d+\): host key mismatch: pinned SHA256:/);
  assert.deepEqual(read.files, state.files, "the last known items are kept");

  const diff = await hostStateProvider.diff(id, read, inputs(rekeyed));
  assert.deepEqual(diff.differing, [`unreadable: ${read.unreadable}`]);
  const failure = await hostStateProvider.update(id, read, inputs(rekeyed)).then(
    () => assert.fail("the update must refuse a host whose key does not match"),
    (err) => err as Error & { kind?: string; id?: string },
  );
  assert.equal(failure.kind, "host-key");
  assert.equal(failure.id, undefined, "no partial state: nothing was done");
  assert.equal(server.commands.length, before, "not one command ran on the host");
});

test(
  "an sshd that never answers: the refresh gives up at the connect deadline and marks the state",
  { timeout: 30_000 },
  async () => {
    const silent = await startSilentListener();
    try {
      const hung = { ...connection, port: silent.port, connectTimeoutMs: 1000 };
      const read = (await hostStateProvider.read(id, { ...state, connection: hung })).props!;
      // Given up by the connect deadline (the mark names it), on one connection, which was hung up.
      assert.match(read.unreadable ?? "", /^fake-mirror \(root@127\.0\.0\.1:\d+\): no SSH answer within 1 s/);
      assert.equal(silent.accepted, 1, "one try, not one per item");
      await silent.hungUp();
    } finally {
      await silent.close();
    }
  },
);

test("once the host answers again, the update reads it first: a file changed while away is repaired", async () => {
  const gone = { ...connection, port: 1 };
  const marked = (await hostStateProvider.read(id, { ...state, connection: gone })).props!;
  assert.match(marked.unreadable ?? "", /cannot reach sshd \(ECONNREFUSED\)/);
  writeFileSync(join(dir, "client.conf"), "edited while away\n");
  // The state still says the file is as declared; only reading the host shows it is not.
  state = (await hostStateProvider.update(id, marked, inputs())).outs!;
  assert.equal(readFileSync(join(dir, "client.conf"), "utf8"), "broker = vega\n");
  assert.equal(state.unreadable, undefined, "the mark is gone");
  const again = await hostStateProvider.read(id, state);
  assert.equal((await hostStateProvider.diff(id, again.props!, inputs())).changes, false);
});
