/**
 * Lab: HostState on a real systemd host (lyra), driven like the engine drives it. A host's items
 * converge in one resource; an apply that fails part way records what it really did, so a file
 * written before the failure still restarts its unit on the next apply (exactly once); a drifted
 * item is named in the diff; a host that cannot be reached at refresh is marked, not an error;
 * delete removes what it declared.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HostConnection } from "../../src/host/transport/connection";
import { hostCounters, resetHostCounters } from "../../src/host/transport/counters";
import {
  hostStateProvider,
  type HostStateInputs,
  type HostStateOutputs,
} from "../../src/host/resources/host-state-provider";
import { type Lab, labHostFixture, onHost } from "./support/lab";

const HOST = "lyra";
const PREFIX = "lyra-host-state-test";
const DIR = `/etc/${PREFIX}`;
let lab: Lab;
let connection: HostConnection;

const CLEANUP = `for u in ${PREFIX}-a-broken.service ${PREFIX}-worker.service; do systemctl disable --now "$u" 2>/dev/null || true; done
rm -rf /etc/systemd/system/${PREFIX}-* ${DIR}; systemctl daemon-reload; systemctl reset-failed 2>/dev/null || true`;

const meta = { mode: "0644", owner: "root", group: "root" };
const worker = {
  content: `[Unit]\nDescription=HostState test worker\n[Service]\nExecStart=/bin/sh -c 'cat ${DIR}/worker.conf >/dev/null; exec sleep infinity'\n[Install]\nWantedBy=multi-user.target\n`,
  enabled: true,
  active: true,
  after: [],
  restartOn: [`${DIR}/worker.conf`],
};
/** A oneshot that fails at once; by name it converges before the worker. */
const broken = {
  content: "[Service]\nType=oneshot\nExecStart=/bin/false\n",
  enabled: false,
  active: true,
  after: [],
  restartOn: [],
};

function inputs(config: string, units: HostStateInputs["units"]): HostStateInputs {
  return {
    connection,
    packages: [],
    directories: { [DIR]: { ...meta, mode: "0755" } },
    files: { [`${DIR}/worker.conf`]: { content: config, ...meta } },
    secretFiles: {},
    artifacts: {},
    units,
  };
}

const invocation = () => onHost(lab, HOST, `systemctl show -p InvocationID --value ${PREFIX}-worker.service`);

labHostFixture(HOST, CLEANUP, (l, c) => {
  lab = l;
  connection = c;
});

describe(`lab: HostState on ${HOST}`, () => {
  let state: HostStateOutputs;
  const id = `${HOST}:state`;

  it("creates the directory, the file and the unit, running", async () => {
    state = (await hostStateProvider.create(inputs("mode = a\n", { [`${PREFIX}-worker.service`]: worker }))).outs!;
    assert.equal(
      (await onHost(lab, HOST, `cat ${DIR}/worker.conf; systemctl is-active ${PREFIX}-worker.service`)).trim(),
      "mode = a\nactive",
    );
    const read = await hostStateProvider.read(id, state);
    assert.equal(
      (await hostStateProvider.diff(id, read.props!, inputs("mode = a\n", { [`${PREFIX}-worker.service`]: worker })))
        .changes,
      false,
    );
    assert.equal(
      read.props!.converged,
      state.converged,
      "a refresh of the unchanged host gives the digest the apply gave",
    );
  });

  it("names a hand edit and a stopped unit in the diff", async () => {
    await onHost(lab, HOST, `echo edited >> ${DIR}/worker.conf; systemctl stop ${PREFIX}-worker.service`);
    const read = await hostStateProvider.read(id, state);
    const diff = await hostStateProvider.diff(
      id,
      read.props!,
      inputs("mode = a\n", { [`${PREFIX}-worker.service`]: worker }),
    );
    assert.deepEqual(diff.differing, [
      `file ${DIR}/worker.conf: content`,
      `unit ${PREFIX}-worker.service: active, restart`,
    ]);
    const before = state.converged;
    resetHostCounters();
    state = (
      await hostStateProvider.update(id, read.props!, inputs("mode = a\n", { [`${PREFIX}-worker.service`]: worker }))
    ).outs!;
    assert.deepEqual(
      { commands: hostCounters(HOST).remoteCommands, writes: hostCounters(HOST).remoteWrites },
      { commands: 3, writes: 2 },
      "the repair is one read, one batch of writes and one systemctl call",
    );
    assert.equal(
      (await onHost(lab, HOST, `cat ${DIR}/worker.conf; systemctl is-active ${PREFIX}-worker.service`)).trim(),
      "mode = a\nactive",
    );
    assert.notEqual(state.converged, before, "the repair changed the digest (the gate checks the host again)");
    assert.equal(
      (await hostStateProvider.read(id, state)).props!.converged,
      state.converged,
      "the next refresh is a no-op",
    );
  });

  it("an apply that fails after writing a file records it; the next apply restarts the unit once", async () => {
    const before = await invocation();
    const units = { [`${PREFIX}-a-broken.service`]: broken, [`${PREFIX}-worker.service`]: worker };
    const failure = await hostStateProvider.update(id, state, inputs("mode = b\n", units)).then(
      () => assert.fail("the broken unit should fail the apply"),
      (err) => err as Error & { id?: string; properties?: HostStateOutputs & { __provider?: unknown } },
    );
    assert.match(failure.message, new RegExp(`${PREFIX}-a-broken\\.service`));
    assert.equal(failure.id, id, "the error carries the state reached");
    assert.equal(await invocation(), before, "the worker was not reached");
    const reached = failure.properties!;
    assert.notEqual(
      reached.files[`${DIR}/worker.conf`].writeId,
      state.files[`${DIR}/worker.conf`].writeId,
      "the write is recorded",
    );
    assert.deepEqual(
      reached.units[`${PREFIX}-worker.service`].triggers,
      state.units[`${PREFIX}-worker.service`].triggers,
      "its unit still has the old triggers",
    );

    const { __provider: _provider, ...partial } = reached;
    resetHostCounters();
    const read = await hostStateProvider.read(id, partial);
    const fixed = { [`${PREFIX}-worker.service`]: worker };
    const diff = await hostStateProvider.diff(id, read.props!, inputs("mode = b\n", fixed));
    assert.ok(diff.changes, "the pending restart shows");
    state = (await hostStateProvider.update(id, read.props!, inputs("mode = b\n", fixed))).outs!;
    assert.equal(hostCounters(HOST).unitRestarts, 1, "restarted exactly once");
    assert.notEqual(await invocation(), before, "the worker runs the new config");
    assert.equal(
      (
        await onHost(lab, HOST, `systemctl cat ${PREFIX}-a-broken.service >/dev/null 2>&1 && echo present || echo gone`)
      ).trim(),
      "gone",
      "the undeclared unit is removed",
    );
    const again = await hostStateProvider.read(id, state);
    assert.equal((await hostStateProvider.diff(id, again.props!, inputs("mode = b\n", fixed))).changes, false);
  });

  it("a host unreachable at refresh keeps its last known state, marked; its update reads the host first", async () => {
    const fixed = { [`${PREFIX}-worker.service`]: worker };
    // Nothing listens on port 2: the address the state holds is "powered off".
    const gone = { ...connection, port: 2 };
    await onHost(lab, HOST, `echo edited-while-away >> ${DIR}/worker.conf`);
    const read = (await hostStateProvider.read(id, { ...state, connection: gone })).props!;
    assert.match(
      read.unreadable ?? "",
      new RegExp(`^${HOST} \\(.*127\\.0\\.0\\.\\d+:2\\): cannot reach sshd \\(ECONNREFUSED\\)`),
      "the mark names the host, where it was tried, and the refusal (given up on it, not at the connect deadline)",
    );
    assert.deepEqual(
      { ...read, unreadable: undefined, connection: undefined },
      { ...state, unreadable: undefined, connection: undefined },
      "the last known items are kept",
    );

    const diff = await hostStateProvider.diff(id, read, inputs("mode = b\n", fixed));
    assert.deepEqual(diff.differing, ["connection", `unreadable: ${read.unreadable}`]);

    const failed = await hostStateProvider.update(id, read, { ...inputs("mode = b\n", fixed), connection: gone }).then(
      () => assert.fail("a host still unreachable fails its update"),
      (err) => err as Error & { id?: string },
    );
    assert.match(failed.message, new RegExp(`^${HOST} \\(.*:2\\).*nothing was changed`));
    assert.equal(failed.id, undefined, "no partial state: nothing was done");
    assert.match(await onHost(lab, HOST, `cat ${DIR}/worker.conf`), /edited-while-away/, "nothing was touched");

    // The stack's connection answers: the update reads the host before converging it.
    const before = await invocation();
    resetHostCounters();
    state = (await hostStateProvider.update(id, read, inputs("mode = b\n", fixed))).outs!;
    assert.equal(state.unreadable, undefined);
    assert.equal(
      (await onHost(lab, HOST, `cat ${DIR}/worker.conf`)).trim(),
      "mode = b",
      "the edit made while away is repaired",
    );
    assert.equal(hostCounters(HOST).unitRestarts, 1, "its unit restarted once");
    assert.notEqual(await invocation(), before);
  });

  it("a path operation that fails stops the batch, names its path, and records what was done", async () => {
    const fixed = { [`${PREFIX}-worker.service`]: worker };
    const before = await invocation();
    // A regular file stands where a declared file's directory must be: its write fails.
    await onHost(lab, HOST, `echo not-a-directory > ${DIR}/zz-blocked`);
    const blocked = inputs("mode = c\n", fixed);
    blocked.files[`${DIR}/zz-blocked/x.conf`] = { content: "x\n", ...meta };
    const failure = await hostStateProvider.update(id, state, blocked).then(
      () => assert.fail("the blocked write should fail the apply"),
      (err) => err as Error & { properties?: HostStateOutputs },
    );
    assert.match(failure.message, new RegExp(`${DIR}/zz-blocked/x\\.conf: cannot create its directory`));
    assert.doesNotMatch(failure.message, /mode = c/, "no content in the message");
    const reached = failure.properties!;
    assert.notEqual(reached.files[`${DIR}/worker.conf`].writeId, state.files[`${DIR}/worker.conf`].writeId);
    assert.equal(reached.files[`${DIR}/zz-blocked/x.conf`], undefined, "the failed write is not recorded");
    assert.equal(await invocation(), before, "no unit was restarted after the failure");

    await onHost(lab, HOST, `rm -f ${DIR}/zz-blocked`);
    const { __provider: _provider, ...partial } = reached as HostStateOutputs & { __provider?: unknown };
    const read = await hostStateProvider.read(id, partial);
    resetHostCounters();
    state = (await hostStateProvider.update(id, read.props!, inputs("mode = c\n", fixed))).outs!;
    assert.equal(hostCounters(HOST).unitRestarts, 1, "the restart the failure held back happens, once");
    assert.notEqual(await invocation(), before);
  });

  it("delete removes the unit, the file and the emptied directory", async () => {
    await hostStateProvider.delete(id, state);
    assert.equal(
      (
        await onHost(
          lab,
          HOST,
          `test -e ${DIR} && echo present || echo gone; systemctl is-active ${PREFIX}-worker.service || true`,
        )
      ).trim(),
      "gone\ninactive",
    );
  });
});
