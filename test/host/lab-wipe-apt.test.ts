/**
 * Lab: a re-flashed host (mirror-1 wiped back to its pristine root) reads as absent everywhere,
 * and one apply brings packages, directories, files and units back. AptPackages installs only
 * what is missing and removes nothing on delete.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { aptPackagesProvider } from "../../src/host/resources/apt-packages";
import type { HostConnection } from "../../src/host/transport/connection";
import { hostCounters, resetHostCounters } from "../../src/host/transport/counters";
import { directoryProvider } from "../../src/host/resources/directory";
import { fileProvider } from "../../src/host/resources/file-provider";
import { closeAllHostConnections } from "../../src/host/transport/ssh";
import { systemdUnitProvider } from "../../src/host/resources/systemd-unit-provider";
import { applyStack, destroyStack, FullProvider, refresh, StackResource } from "./support/engine";
import { aptInputs, directoryInputs, fileInputs, unitInputs } from "./support/inputs";
import { type Lab, lab as ensureLab, labConnection, onHost, wipeHost } from "./support/lab";

const HOST = "mirror-1";
let lab: Lab;
let connection: HostConnection;

const UNIT = `[Unit]
Description=lyra-host test: serves the cache listing
[Service]
ExecStart=/bin/sh -c 'tree /var/lib/lyra-host-test > /dev/null; exec sleep infinity'
[Install]
WantedBy=multi-user.target
`;

before(async () => {
  lab = await ensureLab();
  connection = labConnection(lab, HOST, "deploy");
});

after(async () => {
  await lab.sshExec(
    HOST,
    "systemctl disable --now lyra-host-test-lister 2>/dev/null; rm -rf /etc/systemd/system/lyra-host-test-* /etc/lyra-host-test /var/lib/lyra-host-test; systemctl daemon-reload",
  );
  await closeAllHostConnections();
});

describe(`lab: a wiped ${HOST} converges back`, () => {
  const stack: StackResource[] = [
    {
      label: "packages",
      provider: aptPackagesProvider as FullProvider,
      desired: () => aptInputs(connection, ["tree"], 300),
    },
    {
      label: "directory",
      provider: directoryProvider as FullProvider,
      desired: () => directoryInputs(connection, "/var/lib/lyra-host-test", { mode: "0700" }),
    },
    {
      label: "file",
      provider: fileProvider as FullProvider,
      desired: () => fileInputs(connection, "/etc/lyra-host-test/lister.conf", "depth = 2\n"),
    },
    {
      label: "unit",
      provider: systemdUnitProvider as FullProvider,
      desired: () =>
        unitInputs(connection, "lyra-host-test-lister.service", UNIT, {
          triggers: [String(stack[2].state?.outs.sha256)],
        }),
    },
  ];

  it("installs a missing package with the rest; a second apply installs and writes nothing", async () => {
    await onHost(
      lab,
      HOST,
      "! dpkg-query -W -f='${Status}' tree 2>/dev/null | grep -q 'ok installed' || apt-get remove -y -q tree >/dev/null",
    );
    resetHostCounters();
    const first = await applyStack(stack);
    assert.deepEqual(
      Object.values(first).map((o) => o.action),
      ["create", "create", "create", "create"],
    );
    assert.equal(hostCounters(HOST).aptInstalls, 1);
    assert.match(String(JSON.stringify(stack[0].state?.outs.installed)), /"tree":"[^"]+"/);
    assert.match(
      await onHost(lab, HOST, "tree --version; systemctl is-active lyra-host-test-lister"),
      /^tree v[\s\S]*\nactive\n$/,
    );
    resetHostCounters();
    const second = await applyStack(stack);
    assert.deepEqual(
      Object.values(second).map((o) => o.action),
      ["same", "same", "same", "same"],
    );
    assert.deepEqual([hostCounters(HOST).remoteWrites, hostCounters(HOST).aptInstalls], [0, 0]);
  });

  it("reads every resource as absent after the host is wiped, and one apply brings it all back", async () => {
    await wipeHost(HOST);
    for (const resource of stack) {
      // Its id only: a state would print the connection, private key included, in the failure.
      assert.equal(
        (await refresh(resource.provider, resource.state!))?.id,
        undefined,
        `${resource.label} reads as absent`,
      );
    }
    resetHostCounters();
    const outcome = await applyStack(stack);
    assert.deepEqual(
      Object.values(outcome).map((o) => o.action),
      ["recreate", "recreate", "recreate", "recreate"],
    );
    assert.equal(hostCounters(HOST).aptInstalls, 1);
    assert.equal(
      await onHost(
        lab,
        HOST,
        "stat -c %a /var/lib/lyra-host-test; cat /etc/lyra-host-test/lister.conf; systemctl is-active lyra-host-test-lister; systemctl is-enabled lyra-host-test-lister",
      ),
      "700\ndepth = 2\nactive\nenabled\n",
    );
    resetHostCounters();
    const again = await applyStack(stack);
    assert.deepEqual(
      [Object.values(again).every((o) => o.action === "same"), hostCounters(HOST).remoteWrites],
      [true, 0],
    );
  });

  it("delete removes the unit, the file and the empty directory, and leaves the package installed", async () => {
    await destroyStack(stack);
    assert.equal(
      await onHost(
        lab,
        HOST,
        "systemctl is-active lyra-host-test-lister; test -e /etc/lyra-host-test/lister.conf || echo no-file; test -e /var/lib/lyra-host-test || echo no-dir; tree --version >/dev/null && echo tree-kept",
      ).catch(String),
      "inactive\nno-file\nno-dir\ntree-kept\n",
    );
  });
});
