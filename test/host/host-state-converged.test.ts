/**
 * A HostState's `converged` digest: the same after a refresh of an unchanged host (whatever order
 * the items were read in), different once something on the host changed, kept when the host
 * cannot be read. The fleet's health gates take it as a trigger. Against the in-process SSH server.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { HostConnection } from "../../src/host/transport/connection";
import { hostStateProvider, type HostStateInputs } from "../../src/host/resources/host-state-provider";
import { type FakeSshServer, startFakeSshServer } from "./support/fake-ssh-server";

let server: FakeSshServer;
let connection: HostConnection;
let dir: string;
const id = "fake-lyra:state";
const meta = { mode: "0644", owner: "root", group: "root" };

const inputs = (): HostStateInputs => ({
  connection,
  packages: [],
  directories: { [dir]: { ...meta, mode: "0755" } },
  // Enough files that the parallel reads finish in varying order.
  files: Object.fromEntries(
    Array.from({ length: 12 }, (_, i) => [join(dir, `f${i}.conf`), { content: `key = ${i}\n`, ...meta }]),
  ),
  secretFiles: { [join(dir, "secret.conf")]: { content: "TEST-SECRET-x\n", ...meta } },
  units: {},
  artifacts: {},
});

before(async () => {
  server = await startFakeSshServer();
  connection = server.connectionAs("fake-lyra");
  dir = mkdtempSync(join(tmpdir(), "lyra-converged-"));
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the digest is stable over refreshes of an unchanged host, changes with the host, and survives an unreadable refresh", async () => {
  const created = (await hostStateProvider.create(inputs())).outs!;
  assert.match(created.converged ?? "", /^[0-9a-f]{64}$/);
  for (let i = 0; i < 3; i++)
    assert.equal(
      (await hostStateProvider.read(id, created)).props!.converged,
      created.converged,
      "a refresh of an unchanged host",
    );

  writeFileSync(join(dir, "f3.conf"), "edited by hand\n");
  const drifted = (await hostStateProvider.read(id, created)).props!;
  assert.notEqual(drifted.converged, created.converged, "a hand edit shows");
  const repaired = (await hostStateProvider.update(id, drifted, inputs())).outs!;
  assert.notEqual(
    repaired.converged,
    created.converged,
    "the repair wrote the file again: the gate must check the host again",
  );
  assert.equal(
    (await hostStateProvider.read(id, repaired)).props!.converged,
    repaired.converged,
    "and the next refresh is a no-op",
  );

  const unreadable = (await hostStateProvider.read(id, { ...repaired, connection: { ...connection, port: 1 } })).props!;
  assert.equal(unreadable.converged, repaired.converged, "an unreadable refresh keeps the last digest");
});

test("an update handed its old state as the engine hands it (with the serialized provider) records the digest the next refresh reads", async () => {
  const created = (await hostStateProvider.create(inputs())).outs!;
  writeFileSync(join(dir, "f5.conf"), "edited by hand\n");
  const drifted = (await hostStateProvider.read(id, created)).props!;
  // The Pulumi engine passes `__provider` (the serialized provider's code) in the old state.
  const fromEngine = { ...drifted, __provider: "exports.handler = __f0; ..." };
  const repaired = (await hostStateProvider.update(id, fromEngine, inputs())).outs!;
  assert.equal(
    (await hostStateProvider.read(id, repaired)).props!.converged,
    repaired.converged,
    "the next refresh reads the same digest: the gate stays quiet",
  );
});
