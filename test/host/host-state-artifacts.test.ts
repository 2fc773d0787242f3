/**
 * A HostState's artifacts, against the in-process SSH server (commands run on this machine, with
 * the real curl, tar and sha256sum) and a loopback HTTP server: installed with a marker written
 * last and `current` pointed at them; a refresh that changes nothing; a pin change shown in the
 * diff and installed, the previous version kept; a pin back made current without a download; a
 * digest mismatch, a dead URL and a failing postInstall each failing clearly with nothing marked;
 * what is no longer declared, and a delete, removing what was installed. Units (restarts) need a
 * real systemd: lab-host-artifacts.test.ts.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, createReadStream } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
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
import { type FakeSshServer, startFakeSshServer } from "./support/fake-ssh-server";

const HOST = "fake-lyra";
const id = `${HOST}:state`;
let server: FakeSshServer;
let connection: HostConnection;
let web: Server;
let base: string;
let dir: string;
let apps: string;
/** Request paths the HTTP server answered, in order. */
const requests: string[] = [];
/** A loopback port nothing listens on: curl is refused at once. */
const DEAD = "http://127.0.0.1:9/";
const builds: Record<string, { sha256: string }> = {};

const artifact = (version: string, overrides: Partial<ArtifactItem> = {}): ArtifactItem => ({
  version,
  sha256: overrides.sha256 ?? builds[version].sha256,
  urls: [`${base}/app/${version}/app.tar.gz`],
  installDir: `${apps}/app/${version}`,
  postInstall: "echo built > post-install.txt",
  ...overrides,
});

const inputs = (artifacts: Record<string, ArtifactItem>): HostStateInputs => ({
  connection,
  packages: [],
  directories: {},
  files: {},
  secretFiles: {},
  units: {},
  artifacts,
});

const read = async (state: HostStateOutputs) => (await hostStateProvider.read(id, state)).props!;
const marker = (version: string) => readFileSync(join(apps, "app", version, ".lyra-artifact"), "utf8");
const current = () => readlinkSync(join(apps, "app", "current"));
const versionsOnDisk = () =>
  readdirSync(join(apps, "app"))
    .filter((name) => name !== "current")
    .sort();

before(async () => {
  server = await startFakeSshServer();
  connection = server.connectionAs(HOST);
  dir = mkdtempSync(join(tmpdir(), "lyra-artifacts-"));
  apps = join(dir, "apps");
  for (const version of ["1.0.0", "2.0.0"])
    builds[version] = makeArtifact(join(dir, "www", "app", version, "app.tar.gz"), {
      "bin/app": `#!/bin/sh\necho app ${version}\n`,
      README: `app ${version}\n`,
    });
  web = createServer((req, res) => {
    requests.push(req.url ?? "");
    const file = join(dir, "www", decodeURIComponent(req.url ?? "/"));
    if (!existsSync(file) || !file.startsWith(join(dir, "www"))) {
      res.writeHead(404).end("not found\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/gzip" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
});

after(async () => {
  await server.close();
  await new Promise((resolve) => web.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("HostState artifacts (fake SSH host, real curl and tar)", () => {
  let state: HostStateOutputs;

  it("installs an artifact: extracted as root's, postInstall run in it, marker last, current pointed at it", async () => {
    state = (await hostStateProvider.create(inputs({ app: artifact("1.0.0") }))).outs!;
    assert.deepEqual(state.artifacts, {
      app: { version: "1.0.0", sha256: builds["1.0.0"].sha256, installed: true, installDir: `${apps}/app/1.0.0` },
    });
    assert.equal(marker("1.0.0"), `${builds["1.0.0"].sha256} 1.0.0\n`);
    assert.equal(current(), `${apps}/app/1.0.0`);
    assert.equal(readFileSync(join(apps, "app", "1.0.0", "post-install.txt"), "utf8"), "built\n");
    assert.equal(readFileSync(join(apps, "app", "1.0.0", "bin", "app"), "utf8"), "#!/bin/sh\necho app 1.0.0\n");
  });

  it("a refresh of an unchanged host is one read, no write, and no change", async () => {
    resetHostCounters();
    const refreshed = await read(state);
    assert.equal(hostCounters(HOST).remoteCommands, 1);
    assert.equal(hostCounters(HOST).remoteWrites, 0);
    assert.deepEqual(refreshed.artifacts, state.artifacts);
    assert.equal(refreshed.converged, state.converged);
    const diff = await hostStateProvider.diff(id, refreshed, inputs({ app: artifact("1.0.0") }));
    assert.deepEqual([diff.changes, diff.differing], [false, []]);
    resetHostCounters();
    const again = (await hostStateProvider.update(id, refreshed, inputs({ app: artifact("1.0.0") }))).outs!;
    assert.equal(hostCounters(HOST).remoteWrites, 0, "an update with nothing to do writes nothing");
    assert.equal(again.converged, state.converged);
  });

  it("a pin change shows as the version's change, installs the new version and keeps the previous one", async () => {
    const refreshed = await read(state);
    const diff = await hostStateProvider.diff(id, refreshed, inputs({ app: artifact("2.0.0") }));
    assert.deepEqual(diff.differing, ["artifact app: 1.0.0 -> 2.0.0"]);
    state = (await hostStateProvider.update(id, refreshed, inputs({ app: artifact("2.0.0") }))).outs!;
    assert.equal(state.artifacts!.app.version, "2.0.0");
    assert.equal(current(), `${apps}/app/2.0.0`);
    assert.deepEqual(versionsOnDisk(), ["1.0.0", "2.0.0"], "one step of rollback stays on disk");
    assert.notEqual(state.converged, refreshed.converged, "the digest says the host changed");
  });

  it("a pin back makes the kept version current again without downloading it", async () => {
    const before = requests.length;
    state = (await hostStateProvider.update(id, await read(state), inputs({ app: artifact("1.0.0") }))).outs!;
    assert.equal(requests.length, before, "no download");
    assert.equal(current(), `${apps}/app/1.0.0`);
    assert.deepEqual(versionsOnDisk(), ["1.0.0", "2.0.0"]);
    assert.equal(state.artifacts!.app.installed, true);
  });

  it("a hand-deleted marker shows in the refresh and is repaired by a fresh install", async () => {
    rmSync(join(apps, "app", "1.0.0", ".lyra-artifact"));
    const refreshed = await read(state);
    assert.equal(refreshed.artifacts!.app.installed, false);
    const diff = await hostStateProvider.diff(id, refreshed, inputs({ app: artifact("1.0.0") }));
    assert.deepEqual(diff.differing, ["artifact app: not installed"]);
    const before = requests.length;
    state = (await hostStateProvider.update(id, refreshed, inputs({ app: artifact("1.0.0") }))).outs!;
    assert.equal(requests.length, before + 1, "downloaded again");
    assert.equal(marker("1.0.0"), `${builds["1.0.0"].sha256} 1.0.0\n`);
  });

  it("a digest mismatch fails naming the artifact, the URL and both digests, and marks nothing", async () => {
    const wrong = "0".repeat(64);
    const wanted = artifact("3.0.0", {
      sha256: wrong,
      urls: [`${base}/app/2.0.0/app.tar.gz`],
      installDir: `${apps}/app/3.0.0`,
    });
    const refreshed = await read(state);
    await assert.rejects(hostStateProvider.update(id, refreshed, inputs({ app: wanted })), (err: Error) => {
      assert.match(err.message, /^fake-lyra \(/);
      assert.match(err.message, /artifact app: http:\/\/127\.0\.0\.1:\d+\/app\/2\.0\.0\/app\.tar\.gz: sha256 mismatch/);
      assert.ok(err.message.includes(`expected ${wrong}, got ${builds["2.0.0"].sha256}`), err.message);
      return true;
    });
    assert.equal(existsSync(join(apps, "app", "3.0.0")), false, "nothing extracted");
    assert.equal(current(), `${apps}/app/1.0.0`, "current untouched");
  });

  it("a build for another architecture is refused before anything is downloaded; one for this host's installs", async () => {
    const machine = execFileSync("uname", ["-m"], { encoding: "utf8" }).trim();
    const other = machine === "aarch64" ? "x86_64" : "aarch64";
    // A second app beside `app` (left at 1.0.0), so the other cases find `app` as they expect.
    const build = (arch: string) => ({ ...artifact("2.0.0"), arch, installDir: `${apps}/archapp/2.0.0` });
    const before = requests.length;
    await assert.rejects(
      hostStateProvider.update(id, await read(state), inputs({ app: artifact("1.0.0"), archapp: build(other) })),
      (err: Error) => {
        assert.ok(
          err.message.includes(
            `artifact archapp: this host is ${machine} (uname -m), but the build pinned for it is the ${other} one: declare the host's arch as ${machine} (nothing installed)`,
          ),
          err.message,
        );
        return true;
      },
    );
    assert.equal(requests.length, before, "nothing downloaded");
    assert.equal(existsSync(join(apps, "archapp", "2.0.0")), false, "nothing extracted");
    state = (
      await hostStateProvider.update(id, await read(state), inputs({ app: artifact("1.0.0"), archapp: build(machine) }))
    ).outs!;
    assert.equal(readFileSync(join(apps, "archapp", "2.0.0", ".lyra-artifact"), "utf8"), marker("2.0.0"));
    state = (await hostStateProvider.update(id, await read(state), inputs({ app: artifact("1.0.0") }))).outs!;
    assert.equal(existsSync(join(apps, "archapp")), false);
    assert.equal(current(), `${apps}/app/1.0.0`);
  });

  it("a dead first URL falls back to the next one", async () => {
    const wanted = artifact("2.0.0", { urls: [DEAD, `${base}/app/2.0.0/app.tar.gz`] });
    rmSync(join(apps, "app", "2.0.0"), { recursive: true });
    state = (await hostStateProvider.update(id, await read(state), inputs({ app: wanted }))).outs!;
    assert.equal(current(), `${apps}/app/2.0.0`);
    assert.equal(marker("2.0.0"), `${builds["2.0.0"].sha256} 2.0.0\n`);
  });

  it("when no URL answers, the error names the host, the artifact and every URL with curl's reason", async () => {
    const wanted = artifact("1.0.0", { urls: [DEAD, `${base}/missing.tar.gz`] });
    rmSync(join(apps, "app", "1.0.0"), { recursive: true });
    await assert.rejects(hostStateProvider.update(id, await read(state), inputs({ app: wanted })), (err: Error) => {
      assert.match(err.message, /^fake-lyra \(.*artifact app: could not be downloaded: /s);
      assert.match(err.message, /http:\/\/127\.0\.0\.1:9\/: curl: \(7\) Failed to connect/);
      assert.match(err.message, /missing\.tar\.gz: curl: \(22\) The requested URL returned error: 404/);
      assert.match(err.message, /no artifact was put in place/);
      return true;
    });
    assert.equal(current(), `${apps}/app/2.0.0`);
  });

  it("a failing postInstall is reported with its exit code and last lines; its directory is removed", async () => {
    const wanted = artifact("1.0.0", {
      postInstall: "echo compiling\necho 'no compiler here' >&2\nexit 7\necho never",
    });
    const other = { ...artifact("2.0.0"), installDir: `${apps}/other/2.0.0` };
    const before = await read(state);
    await assert.rejects(
      hostStateProvider.update(id, before, inputs({ aaa: other, app: wanted })),
      (err: Error & { properties?: HostStateOutputs }) => {
        assert.match(err.message, /artifact app: postInstall exited with code 7 in .*\/app\/1\.0\.0 \(removed\)/);
        assert.match(err.message, /compiling\nno compiler here/);
        assert.doesNotMatch(err.message, /never/);
        assert.match(err.message, /in place before it: aaa/);
        // The state reached is recorded: aaa is installed, app is not.
        assert.equal(err.properties?.artifacts?.aaa.installed, true);
        assert.equal(err.properties?.artifacts?.app.version, "2.0.0");
        return true;
      },
    );
    assert.equal(existsSync(join(apps, "app", "1.0.0")), false, "no half-installed directory");
    assert.equal(current(), `${apps}/app/2.0.0`);
  });

  it("an artifact no longer declared is removed with its kept versions and current", async () => {
    state = (
      await hostStateProvider.update(
        id,
        await read(state),
        inputs({ aaa: { ...artifact("2.0.0"), installDir: `${apps}/other/2.0.0` }, app: artifact("2.0.0") }),
      )
    ).outs!;
    assert.ok(existsSync(join(apps, "other", "2.0.0", ".lyra-artifact")));
    state = (await hostStateProvider.update(id, await read(state), inputs({ app: artifact("2.0.0") }))).outs!;
    assert.equal(existsSync(join(apps, "other")), false);
    assert.deepEqual(Object.keys(state.artifacts!), ["app"]);
  });

  it("delete removes every version it installed and current", async () => {
    state = (await hostStateProvider.update(id, await read(state), inputs({ app: artifact("1.0.0") }))).outs!;
    assert.deepEqual(versionsOnDisk(), ["1.0.0", "2.0.0"]);
    await hostStateProvider.delete(id, await read(state));
    assert.equal(existsSync(join(apps, "app")), false);
  });
});
