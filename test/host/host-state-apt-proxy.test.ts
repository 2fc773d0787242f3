/**
 * A HostState's `aptProxy`, against the in-process SSH server (commands run on this machine):
 * every apt-get run the state makes carries the proxy on its command line (install, the refresh
 * of the lists, the retry), so a re-flashed host's first install goes through the NAS before any
 * apt.conf file names it; without it, none does. apt-get here is a stand-in on PATH that records
 * its arguments (the real apt-get through a real apt-cacher-ng: lab-apt-nas.test.ts). With every
 * package present, a proxy changes nothing: one read per refresh, no write, no apt-get.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import type { HostConnection } from "../../src/host/transport/connection";
import { hostCounters, resetHostCounters } from "../../src/host/transport/counters";
import { hostStateProvider, type HostStateInputs } from "../../src/host/resources/host-state-provider";
import { type FakeSshServer, startFakeSshServer } from "./support/fake-ssh-server";

const HOST = "fake-mirror";
const PROXY = "http://nas.home.arpa:3142";
/** No Debian has it: dpkg-query never lists it, so the install is attempted and fails. */
const MISSING = "lyra-test-no-such-package";
let server: FakeSshServer;
let connection: HostConnection;
let dir: string;
let calls: string;
const savedPath = process.env.PATH;

const inputs = (packages: string[], aptProxy?: string): HostStateInputs => ({
  connection,
  packages,
  directories: {},
  files: {},
  secretFiles: {},
  units: {},
  artifacts: {},
  ...(aptProxy !== undefined && { aptProxy }),
});

/** Each apt-get run's arguments, one run per line. */
const aptRuns = () =>
  existsSync(calls)
    ? readFileSync(calls, "utf8")
        .split("\n")
        .filter((line) => line !== "")
    : [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "lyra-apt-proxy-"));
  calls = join(dir, "apt-get.calls");
  // apt-get as the host would run it, minus the network: `update` succeeds, `install` fails.
  writeFileSync(
    join(dir, "apt-get"),
    `#!/bin/sh\necho "$*" >>'${calls}'\nfor a in "$@"; do [ "$a" = update ] && exit 0; done\nexit 100\n`,
  );
  chmodSync(join(dir, "apt-get"), 0o755);
  // The fake server's commands inherit this process's environment.
  process.env.PATH = `${dir}:${savedPath}`;
  server = await startFakeSshServer();
  connection = server.connectionAs(HOST);
});

after(async () => {
  process.env.PATH = savedPath;
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => rmSync(calls, { force: true }));

describe("HostState aptProxy (fake SSH host, apt-get recorded)", () => {
  it("gives every apt-get run the proxy on its command line, and names it when the install fails", async () => {
    await assert.rejects(
      hostStateProvider.create(inputs([MISSING], PROXY)),
      (error: Error) =>
        error.message.includes(`apt-get could not install ${MISSING} through ${PROXY} (exit code 100)`) ||
        assert.fail(error.message),
    );
    const runs = aptRuns();
    // install, then (the install failed) the lists refreshed and the install tried once more;
    // a first `update` comes before them only on a host without lists.
    assert.deepEqual(
      runs.map((run) => run.split(" ").find((word) => word === "install" || word === "update")).slice(-3),
      ["install", "update", "install"],
    );
    for (const run of runs) assert.ok(run.startsWith(`-o Acquire::http::Proxy=${PROXY} `), run);
  });

  it("without a proxy, apt-get runs as it always did", async () => {
    await assert.rejects(hostStateProvider.create(inputs([MISSING])), (error: Error) =>
      error.message.includes(`apt-get could not install ${MISSING} (exit code 100)`),
    );
    assert.ok(aptRuns().length >= 3);
    for (const run of aptRuns()) assert.ok(!run.includes("Proxy"), run);
  });

  it("with every package present, a proxy adds no command and no write: no apt-get at all", async () => {
    const wanted = inputs(["dpkg"], PROXY); // every Debian has dpkg
    const state = (await hostStateProvider.create(wanted)).outs!;
    resetHostCounters();
    const refreshed = (await hostStateProvider.read(`${HOST}:state`, state)).props!;
    assert.equal(hostCounters(HOST).remoteCommands, 1, "a refresh is one remote command");
    const diff = await hostStateProvider.diff(`${HOST}:state`, refreshed, wanted);
    assert.deepEqual([diff.changes, diff.differing], [false, []]);
    resetHostCounters();
    await hostStateProvider.update(`${HOST}:state`, refreshed, wanted);
    assert.equal(hostCounters(HOST).remoteWrites, 0, "a no-op update writes nothing");
    assert.deepEqual(aptRuns(), []);
  });

  it("a proxy that is not an http URL of a host is refused by name before anything runs", async () => {
    const { failures } = await hostStateProvider.check(
      {} as never,
      {
        ...inputs([MISSING]),
        items: JSON.stringify({ packages: [MISSING], aptProxy: "http://nas:3142/x y" }),
      } as never,
    );
    assert.deepEqual(failures, [
      {
        property: "aptProxy",
        reason:
          'must be an http:// URL of a host and an optional port, e.g. "http://nas.home.arpa:3142", got "http://nas:3142/x y"',
      },
    ]);
    assert.deepEqual(aptRuns(), []);
  });
});
