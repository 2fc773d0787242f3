/**
 * Lab: a HostState's artifacts on a real host (lyra), served over HTTP by another lab host (vega,
 * `python3 -m http.server` in a transient unit on port 8765). curl comes from the declared
 * packages, installed before the artifacts. A unit runs the app through `current` and lists the
 * install directory in `restartOn`, so its restarts come from the artifact alone (its unit file
 * never changes): installed and started; a refresh that writes nothing; a pin change that installs
 * and restarts once; a pin back with the HTTP server stopped (the kept version, no download); a
 * digest mismatch, a dead only URL and a failing postInstall failing clearly with nothing marked
 * and nothing restarted; a dead first URL falling back to the second; delete removing it all.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { HostConnection } from "../../src/host/transport/connection";
import { hostCounters, resetHostCounters } from "../../src/host/transport/counters";
import {
  hostStateProvider,
  type HostStateInputs,
  type HostStateOutputs,
} from "../../src/host/resources/host-state-provider";
import type { ArtifactItem } from "../../src/host/resources/host-state-items";
import { makeArtifact } from "./support/artifact-files";
import { ensureLab, type Lab, labHostFixture, onHost } from "./support/lab";

const HOST = "lyra";
const SERVER = "vega";
const PORT = 8765;
const PREFIX = "lyra-host-artifacts-test";
const APPS = `/opt/${PREFIX}/apps`;
const WWW = `/var/tmp/${PREFIX}-www`;
const HTTP_UNIT = `${PREFIX}-http.service`;
const APP_UNIT = `${PREFIX}-app.service`;
const BASE = `http://${SERVER}.lab.home.arpa:${PORT}`;
/** A port nothing on vega listens on: refused at once. */
const REFUSED = `http://${SERVER}.lab.home.arpa:8799`;
/** An address on the lab bridge that no host has: nothing answers at all. */
const SILENT = "http://10.77.0.250:8765";
const id = `${HOST}:state`;
let lab: Lab;
let connection: HostConnection;
const builds: Record<string, string> = {};

const CLEANUP = `systemctl disable --now ${APP_UNIT} 2>/dev/null || true
rm -rf /etc/systemd/system/${APP_UNIT} /opt/${PREFIX} /run/${PREFIX}.version; systemctl daemon-reload
systemctl reset-failed 2>/dev/null || true`;

labHostFixture(HOST, CLEANUP, (l, c) => {
  lab = l;
  connection = c;
});

const startServer = () =>
  onHost(
    lab,
    SERVER,
    `systemd-run --quiet --unit=${HTTP_UNIT} --working-directory=${WWW} python3 -m http.server ${PORT} --bind 0.0.0.0
for i in $(seq 50); do python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:${PORT}/")' 2>/dev/null && exit 0; sleep 0.1; done
echo "the HTTP server did not answer" >&2; exit 1`,
  );
const stopServer = () =>
  onHost(lab, SERVER, `systemctl stop ${HTTP_UNIT} 2>/dev/null; systemctl reset-failed ${HTTP_UNIT} 2>/dev/null; true`);

// Node 20 runs a file's top-level hooks without waiting for each other: this one gets the lab itself.
before(async () => {
  lab = await ensureLab();
  const local = mkdtempSync(join(tmpdir(), `${PREFIX}-`));
  try {
    await stopServer();
    await onHost(lab, SERVER, `rm -rf ${WWW} && mkdir -p ${WWW}`);
    for (const version of ["1.0.0", "2.0.0"]) {
      // The app records which version runs, then stays up.
      const built = makeArtifact(join(local, `${version}.tar.gz`), {
        "bin/app": `#!/bin/sh\necho ${version} > /run/${PREFIX}.version\nexec sleep infinity\n`,
      });
      builds[version] = built.sha256;
      await lab.sshExec(SERVER, `mkdir -p ${WWW}/app/${version} && base64 -d > ${WWW}/app/${version}/app.tar.gz`, {
        input: readFileSync(built.file).toString("base64"),
      });
    }
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
  await startServer();
});

after(async () => {
  lab = await ensureLab();
  await stopServer();
  await onHost(lab, SERVER, `rm -rf ${WWW}`);
});

const artifact = (version: string, overrides: Partial<ArtifactItem> = {}): ArtifactItem => ({
  version,
  sha256: builds[version] ?? "0".repeat(64),
  urls: [`${BASE}/app/${version}/app.tar.gz`],
  installDir: `${APPS}/app/${version}`,
  postInstall: "test -x bin/app\necho installed > post-install.txt",
  ...overrides,
});

const inputs = (app: ArtifactItem): HostStateInputs => ({
  connection,
  packages: ["curl"],
  directories: {},
  files: {},
  secretFiles: {},
  artifacts: { app },
  units: {
    [APP_UNIT]: {
      content: `[Unit]\nDescription=artifact test app\n[Service]\nExecStart=${APPS}/app/current/bin/app\n[Install]\nWantedBy=multi-user.target\n`,
      enabled: true,
      active: true,
      after: [],
      restartOn: [app.installDir],
    },
  },
});

const invocation = async () => (await onHost(lab, HOST, `systemctl show -p InvocationID --value ${APP_UNIT}`)).trim();
const running = async () => (await onHost(lab, HOST, `cat /run/${PREFIX}.version`)).trim();
const onDisk = async () => (await onHost(lab, HOST, `ls -A ${APPS}/app | sort | tr '\\n' ' '`)).trim();
const current = async () => (await onHost(lab, HOST, `readlink ${APPS}/app/current`)).trim();
const read = async (state: HostStateOutputs) => (await hostStateProvider.read(id, state)).props!;

describe(`lab: HostState artifacts on ${HOST}, served by ${SERVER}`, () => {
  let state: HostStateOutputs;

  it("installs curl, then the artifact (postInstall run, marker last, current), then starts its unit", async () => {
    state = (await hostStateProvider.create(inputs(artifact("1.0.0")))).outs!;
    assert.equal(
      await onHost(lab, HOST, `cat ${APPS}/app/1.0.0/.lyra-artifact ${APPS}/app/1.0.0/post-install.txt`),
      `${builds["1.0.0"]} 1.0.0\ninstalled\n`,
    );
    assert.equal(await current(), `${APPS}/app/1.0.0`);
    assert.equal(await onHost(lab, HOST, `stat -c %U:%G ${APPS}/app/1.0.0/bin/app`), "root:root\n");
    assert.equal(await running(), "1.0.0");
    assert.equal(state.artifacts!.app.installed, true);
  });

  it("a refresh of the unchanged host is one command and no write, and shows no change", async () => {
    resetHostCounters();
    const refreshed = await read(state);
    assert.deepEqual(hostCounters(HOST).remoteCommands, 1);
    assert.deepEqual(hostCounters(HOST).remoteWrites, 0);
    assert.equal(refreshed.converged, state.converged);
    const diff = await hostStateProvider.diff(id, refreshed, inputs(artifact("1.0.0")));
    assert.deepEqual(diff.differing, []);
  });

  it("a pin change is shown, installs the new version and restarts the unit exactly once", async () => {
    const refreshed = await read(state);
    const diff = await hostStateProvider.diff(id, refreshed, inputs(artifact("2.0.0")));
    assert.deepEqual(diff.differing, ["artifact app: 1.0.0 -> 2.0.0", `unit ${APP_UNIT}: restart`]);
    const before = await invocation();
    resetHostCounters();
    state = (await hostStateProvider.update(id, refreshed, inputs(artifact("2.0.0")))).outs!;
    assert.equal(hostCounters(HOST).unitRestarts, 1);
    assert.notEqual(await invocation(), before);
    assert.equal(await running(), "2.0.0");
    assert.equal(await onDisk(), "1.0.0 2.0.0 current", "the previous version is kept");
    const again = await hostStateProvider.diff(id, await read(state), inputs(artifact("2.0.0")));
    assert.deepEqual(again.differing, [], "and no second restart is due");
  });

  it("a pin back needs no download (the server is stopped): the kept version is made current, the unit restarted once", async () => {
    await stopServer();
    try {
      const before = await invocation();
      resetHostCounters();
      state = (await hostStateProvider.update(id, await read(state), inputs(artifact("1.0.0")))).outs!;
      assert.equal(hostCounters(HOST).unitRestarts, 1);
      assert.notEqual(await invocation(), before);
      assert.equal(await running(), "1.0.0");
      assert.equal(await onDisk(), "1.0.0 2.0.0 current");
    } finally {
      await startServer();
    }
  });

  it("a digest mismatch fails naming host, artifact, URL and both digests; nothing is marked or restarted", async () => {
    const wrong = "f".repeat(64);
    const wanted = artifact("2.0.1", { sha256: wrong, urls: [`${BASE}/app/2.0.0/app.tar.gz`] });
    const before = await invocation();
    await assert.rejects(hostStateProvider.update(id, await read(state), inputs(wanted)), (err: Error) => {
      assert.match(err.message, /^lyra \(deploy@127\.0\.0\.11:22\): artifact app: /);
      assert.ok(err.message.includes(`${BASE}/app/2.0.0/app.tar.gz: sha256 mismatch`), err.message);
      assert.ok(err.message.includes(`expected ${wrong}, got ${builds["2.0.0"]}`), err.message);
      return true;
    });
    assert.equal(await onHost(lab, HOST, `test -e ${APPS}/app/2.0.1 && echo exists || echo absent`), "absent\n");
    assert.equal(await current(), `${APPS}/app/1.0.0`);
    assert.equal(await invocation(), before);
  });

  it("when no URL answers (a refused port, an address nobody answers), the error names host, artifact and each URL with curl's reason", async (t) => {
    const wanted = artifact("2.0.0", { urls: [`${REFUSED}/app/2.0.0/app.tar.gz`, `${SILENT}/app/2.0.0/app.tar.gz`] });
    await onHost(lab, HOST, `rm -rf ${APPS}/app/2.0.0`);
    const started = Date.now();
    await assert.rejects(hostStateProvider.update(id, await read(state), inputs(wanted)), (err: Error) => {
      assert.match(err.message, /^lyra \(deploy@127\.0\.0\.11:22\): artifact app: could not be downloaded: /);
      assert.ok(err.message.includes(`${REFUSED}/app/2.0.0/app.tar.gz: curl: (7) Failed to connect`), err.message);
      assert.match(
        err.message,
        new RegExp(`${SILENT.replace(/\./g, "\\.")}/app/2\\.0\\.0/app\\.tar\\.gz: curl: \\((7|28)\\) `),
      );
      assert.match(err.message, /no artifact was put in place/);
      return true;
    });
    // Not asserted (no timed assertions in tests): curl's 5 s connect timeout bounds each URL.
    t.diagnostic(`failed after ${Date.now() - started} ms`);
  });

  it("a dead first URL falls back to the second", async () => {
    const wanted = artifact("2.0.0", { urls: [`${REFUSED}/app/2.0.0/app.tar.gz`, `${BASE}/app/2.0.0/app.tar.gz`] });
    state = (await hostStateProvider.update(id, await read(state), inputs(wanted))).outs!;
    assert.equal(await running(), "2.0.0");
    assert.equal(await onHost(lab, HOST, `cat ${APPS}/app/2.0.0/.lyra-artifact`), `${builds["2.0.0"]} 2.0.0\n`);
  });

  it("a failing postInstall is reported with its exit code and output; the unit keeps running the old version", async () => {
    const wanted = artifact("1.0.0", { postInstall: "echo preparing\necho 'missing dependency' >&2\nexit 4" });
    await onHost(lab, HOST, `rm -rf ${APPS}/app/1.0.0`);
    const before = await invocation();
    await assert.rejects(hostStateProvider.update(id, await read(state), inputs(wanted)), (err: Error) => {
      assert.match(err.message, /artifact app: postInstall exited with code 4 in \/opt\/.*\/app\/1\.0\.0 \(removed\)/);
      assert.match(err.message, /preparing\nmissing dependency/);
      return true;
    });
    assert.equal(await onHost(lab, HOST, `test -e ${APPS}/app/1.0.0 && echo exists || echo absent`), "absent\n");
    assert.equal(await invocation(), before);
    assert.equal(await running(), "2.0.0");
  });

  it("delete removes the unit and every version installed", async () => {
    state = (await hostStateProvider.update(id, await read(state), inputs(artifact("1.0.0")))).outs!;
    assert.equal(await onDisk(), "1.0.0 2.0.0 current");
    await hostStateProvider.delete(id, await read(state));
    assert.equal(
      await onHost(
        lab,
        HOST,
        `test -e ${APPS}/app && echo exists || echo absent; systemctl is-active ${APP_UNIT} || true`,
      ),
      "absent\ninactive\n",
    );
  });
});
