/**
 * Lab: a rebuild installs its Debian packages from the NAS while the internet is down. mirror-1,
 * wiped, converges a HostState shaped as the lab stack's plan (the apt.conf file and `aptProxy`,
 * http://nas.lab.home.arpa:3142): its packages come through nas's apt-cacher-ng, which keeps them.
 * Then the lab's forward to Debian's mirror is cut for every host, nas included (`lab.sh
 * offline`); mirror-1 is wiped again and the same HostState installs the same versions from nas's
 * cache. A package the cache does not have fails clearly, naming the package and the proxy. The forward is restored at the end, whatever happened (`lab.sh online`).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hostStateProvider, type HostStateInputs } from "../../src/host/resources/host-state-provider";
import type { HostStateOutputs } from "../../src/host/resources/host-state-types";
import type { HostConnection } from "../../src/host/transport/connection";
import { hostCounters, resetHostCounters } from "../../src/host/transport/counters";
import { closeAllHostConnections } from "../../src/host/transport/ssh";
import { loadStackFile } from "../../src/model/load";
import { planFleet } from "../../src/render";
import { aptProxyFile } from "../../src/render/apt";
import { goOffline, goOnline, labNas, waitForAptCacheMode } from "../lab/lab";
import { type Lab, lab as ensureLab, labConnection, onHost, wipeHost } from "./support/lab";

const HOST = "mirror-1";
/** Fleet packages that are not in the pristine root (mosquitto and restic bring libraries along). */
const PACKAGES = ["curl", "mosquitto", "restic"];
/** A package no lab test installs: taken out of nas's cache before it is asked for. */
const NEVER_CACHED = "cowsay";
const MIRROR_INRELEASE = "http://deb.debian.org/debian/dists/bookworm/InRelease";

let lab: Lab;
let connection: HostConnection;
let inputs: HostStateInputs;

/** Whether the host reaches Debian's mirror by itself (no proxy): exit 0 when it does. */
const reachesMirror = async () =>
  (
    await lab.sshExec(
      HOST,
      `python3 -c "import urllib.request as u; u.urlopen('${MIRROR_INRELEASE}', timeout=5)" 2>/dev/null`,
    )
  ).code === 0;

before(async () => {
  lab = await ensureLab();
  await goOnline(); // a lab left offline by an interrupted run
  // What the online half proves needs the mirror: wait for it (a first run may meet it slow).
  for (const deadline = Date.now() + 60_000; !(await reachesMirror());) {
    if (Date.now() > deadline) throw new Error(`${HOST} does not reach ${MIRROR_INRELEASE} through the lab's forward`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await waitForAptCacheMode(lab, "online");
  connection = labConnection(lab, HOST);
  const plan = planFleet(loadStackFile("stacks/Pulumi.lab.yaml")).find((p) => p.host === HOST)!;
  const file = plan.files.find((f) => f.path === aptProxyFile)!;
  assert.equal(plan.aptProxy, labNas.aptProxy, "the lab stack installs through nas");
  inputs = {
    connection,
    packages: PACKAGES,
    directories: {},
    files: { [file.path]: { content: file.content, mode: file.mode, owner: file.owner, group: file.group } },
    secretFiles: {},
    units: {},
    artifacts: {},
    aptProxy: plan.aptProxy,
  };
});

after(async () => {
  try {
    await goOnline();
    await waitForAptCacheMode(lab, "online");
    await wipeHost(HOST); // leave mirror-1 as the pristine root has it
  } finally {
    await closeAllHostConnections();
  }
});

describe(`lab: ${HOST} installs its packages from nas, with the internet up and down`, () => {
  let online: HostStateOutputs;

  it("online: a wiped host installs through nas, and nas keeps the packages", async () => {
    await wipeHost(HOST);
    online = (await hostStateProvider.create(inputs)).outs!;
    assert.deepEqual(Object.keys(online.packages.installed).sort(), PACKAGES);
    assert.match(
      await onHost(lab, HOST, `cat ${aptProxyFile}`),
      /Acquire::http::Proxy "http:\/\/nas\.lab\.home\.arpa:3142";/,
    );
    // Every .deb went through the cache: nas has each package's file of the installed version.
    for (const name of PACKAGES) {
      // Debian's file names leave the epoch out; the cache may keep a '+' as the URL has it (%2b).
      const version = online.packages.installed[name].replace(/^\d+:/, "");
      const found = await onHost(
        lab,
        labNas.host,
        `find /var/cache/apt-cacher-ng -name '${name}_${version}_*.deb' -o -name '${name}_${version.replace(/\+/g, "%2b")}_*.deb' | head -n 1`,
      );
      assert.notEqual(found.trim(), "", `nas's cache has ${name} ${version}`);
    }
  });

  it("offline: no host reaches Debian's mirror, and nas's apt-cacher-ng serves its cache only", async () => {
    assert.equal(await reachesMirror(), true, "before the cut the host reaches the mirror");
    await goOffline();
    await waitForAptCacheMode(lab, "offline");
    assert.equal(await reachesMirror(), false, "after the cut it does not");
    const fromNas = await lab.sshExec(
      labNas.host,
      `python3 -c "import urllib.request as u; u.urlopen('${MIRROR_INRELEASE}', timeout=5)"`,
    );
    assert.notEqual(fromNas.code, 0, "nas does not reach it either");
  });

  it("offline: a wiped host installs the same versions from nas's cache, and a refresh is then a no-op", async () => {
    await wipeHost(HOST);
    const lists = await onHost(lab, HOST, "ls /var/lib/apt/lists/ | grep -c _Packages || true");
    assert.equal(lists.trim(), "0", "the wiped host has no package lists: it needs apt-get update too");
    const state = (await hostStateProvider.create(inputs)).outs!;
    assert.deepEqual(state.packages.installed, online.packages.installed);
    assert.equal(await reachesMirror(), false, "still offline");
    resetHostCounters();
    const refreshed = (await hostStateProvider.read(`${HOST}:state`, state)).props!;
    assert.equal(hostCounters(HOST).remoteCommands, 1, "a refresh is one remote command");
    const diff = await hostStateProvider.diff(`${HOST}:state`, refreshed, inputs);
    assert.deepEqual([diff.changes, diff.differing], [false, []]);
    resetHostCounters();
    await hostStateProvider.update(`${HOST}:state`, refreshed, inputs);
    assert.equal(hostCounters(HOST).remoteWrites, 0, "a no-op update writes nothing");
  });

  it("offline: a package the cache does not have fails, naming it and the proxy", async () => {
    // An earlier run may have installed it online: take it out of the cache.
    await onHost(lab, labNas.host, `find /var/cache/apt-cacher-ng -name '${NEVER_CACHED}_*' -delete`);
    await assert.rejects(
      hostStateProvider.create({ ...inputs, packages: [...PACKAGES, NEVER_CACHED] }),
      (error: Error) =>
        error.message.includes(`apt-get could not install ${NEVER_CACHED} through ${labNas.aptProxy}`) ||
        assert.fail(error.message),
    );
  });
});
