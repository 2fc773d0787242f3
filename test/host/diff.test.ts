/**
 * The providers' diff rules, without hosts: what replaces, what only updates, what is unknown
 * during preview, and which properties each diff names.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aptPackagesProvider } from "../../src/host/resources/apt-packages";
import type { HostConnection } from "../../src/host/transport/connection";
import { fileProvider, type FileInputs, type FileOutputs } from "../../src/host/resources/file-provider";
import { connectionChange, connectionDiff, UNKNOWN } from "../../src/host/resources/provider-support";
import { sha256Hex } from "../../src/host/transport/remote-path";
import {
  systemdUnitProvider,
  type SystemdUnitInputs,
  type SystemdUnitOutputs,
} from "../../src/host/resources/systemd-unit-provider";

const connection: HostConnection = {
  host: "vega",
  address: "127.0.0.12",
  port: 22,
  user: "deploy",
  hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKr7ug7MRuqjKqwGgF7WDyB1MqNeTEL2XKkVQ7m0zwJ4",
};

const fileOutputs: FileOutputs = {
  connection,
  path: "/etc/a.conf",
  sha256: sha256Hex("a\n"),
  fileType: "file",
  mode: "0644",
  owner: "root",
  group: "root",
  writeId: "w1",
};
const fileNews = (overrides: Partial<FileInputs> = {}): FileInputs => ({
  connection,
  path: "/etc/a.conf",
  content: "a\n",
  sha256: sha256Hex("a\n"),
  mode: "644",
  owner: "root",
  group: "root",
  ...overrides,
});

describe("connectionChange", () => {
  it("replaces for another fleet host, updates for another way to reach the same host", () => {
    assert.equal(connectionChange(connection, { ...connection }), "same");
    assert.equal(connectionChange(connection, { ...connection, host: "lyra" }), "replace");
    for (const change of [
      { address: "10.0.0.5" },
      { user: "root" },
      { port: 2222 },
      { privateKey: "k" },
      { hostKey: "ssh-ed25519 AAAA" },
    ]) {
      assert.equal(connectionChange(connection, { ...connection, ...change }), "update", JSON.stringify(change));
    }
    assert.equal(connectionChange(connection, { ...connection, address: UNKNOWN }), "update");
  });

  it("starts a diff: a replacing or a differing connection, or neither", () => {
    assert.deepEqual(connectionDiff(connection, { ...connection }), { replaces: [], differing: [] });
    assert.deepEqual(connectionDiff(connection, { ...connection, host: "lyra" }), {
      replaces: ["connection"],
      differing: [],
    });
    assert.deepEqual(connectionDiff(connection, { ...connection, port: 2222 }), {
      replaces: [],
      differing: ["connection"],
    });
    assert.deepEqual(connectionDiff(undefined, connection), { replaces: [], differing: ["connection"] });
  });
});

describe("File diff", () => {
  it("is empty when desired and observed agree (mode written either way)", async () => {
    assert.deepEqual(await fileProvider.diff("id", fileOutputs, fileNews()), {
      changes: false,
      replaces: [],
      differing: [],
      deleteBeforeReplace: false,
    });
  });

  it("names content, mode, owner and group; replaces for another path or host", async () => {
    const diff = await fileProvider.diff(
      "id",
      fileOutputs,
      fileNews({ content: "b\n", sha256: sha256Hex("b\n"), mode: "0600", owner: "deploy", group: "adm" }),
    );
    assert.deepEqual([diff.changes, diff.differing], [true, ["content", "mode", "owner", "group"]]);
    assert.deepEqual((await fileProvider.diff("id", fileOutputs, fileNews({ path: "/etc/b.conf" }))).replaces, [
      "path",
    ]);
    assert.deepEqual(
      (await fileProvider.diff("id", fileOutputs, fileNews({ connection: { ...connection, host: "lyra" } }))).replaces,
      ["connection"],
    );
    const rePinned = await fileProvider.diff(
      "id",
      fileOutputs,
      fileNews({ connection: { ...connection, hostKey: "ssh-ed25519 AAAAnew" } }),
    );
    assert.deepEqual([rePinned.replaces, rePinned.differing], [[], ["connection"]]);
  });

  it("during preview, an unknown content is a change and an unknown path is not yet a replacement", async () => {
    const unknownContent = await fileProvider.diff("id", fileOutputs, fileNews({ content: UNKNOWN, sha256: UNKNOWN }));
    assert.deepEqual([unknownContent.changes, unknownContent.differing], [true, ["content"]]);
    const unknownPath = await fileProvider.diff("id", fileOutputs, fileNews({ path: UNKNOWN }));
    assert.deepEqual([unknownPath.replaces, unknownPath.differing], [[], ["path"]]);
  });

  it("sees a file replaced by something else (sha256 empty) as a content change", async () => {
    const diff = await fileProvider.diff("id", { ...fileOutputs, sha256: "", fileType: "symlink" }, fileNews());
    assert.deepEqual(diff.differing, ["content"]);
  });
});

describe("SystemdUnit diff", () => {
  const outputs: SystemdUnitOutputs = {
    connection,
    name: "qdrant.service",
    ownsUnitFile: true,
    sha256: sha256Hex("u"),
    dropInSha256: "",
    enabled: true,
    active: true,
    triggers: ["t1"],
    startTimeoutSeconds: 60,
    activeState: "active",
    subState: "running",
    unitFileState: "enabled",
    needsDaemonReload: false,
  };
  const news = (overrides: Partial<SystemdUnitInputs> = {}): SystemdUnitInputs => ({
    connection,
    name: "qdrant.service",
    content: "u",
    sha256: sha256Hex("u"),
    dropInSha256: "",
    enabled: true,
    active: true,
    triggers: ["t1"],
    startTimeoutSeconds: 60,
    ...overrides,
  });

  it("names what drifted or changed", async () => {
    assert.equal((await systemdUnitProvider.diff("id", outputs, news())).changes, false);
    const drifted = await systemdUnitProvider.diff(
      "id",
      { ...outputs, active: false, enabled: false, needsDaemonReload: true },
      news({ triggers: ["t2"] }),
    );
    assert.deepEqual(drifted.differing, ["enabled", "active", "triggers", "needsDaemonReload"]);
    assert.deepEqual((await systemdUnitProvider.diff("id", outputs, news({ content: null, sha256: "" }))).differing, [
      "content",
    ]);
  });

  it("replaces a renamed unit deleting the old one first (it may hold the port the new one needs)", async () => {
    const diff = await systemdUnitProvider.diff("id", outputs, news({ name: "qdrant-2.service" }));
    assert.deepEqual([diff.replaces, diff.deleteBeforeReplace], [["name"], true]);
  });
});

describe("AptPackages diff", () => {
  const outputs = {
    connection,
    packages: ["mosquitto", "tree"],
    timeoutSeconds: 600,
    installed: { mosquitto: "2.0.11-1.2", tree: "2.1.0-1" },
  };

  it("is empty when every package is installed (order and duplicates do not matter)", async () => {
    const diff = await aptPackagesProvider.diff("id", outputs, {
      connection,
      packages: ["tree", "mosquitto", "tree"],
      timeoutSeconds: 600,
    });
    assert.equal(diff.changes, false);
  });

  it("changes when a package is missing or at another pinned version", async () => {
    assert.deepEqual(
      (await aptPackagesProvider.diff("id", { ...outputs, installed: { mosquitto: "2.0.11-1.2" } }, { ...outputs }))
        .differing,
      ["packages"],
    );
    assert.deepEqual(
      (await aptPackagesProvider.diff("id", outputs, { ...outputs, packages: ["mosquitto", "tree=2.0.0-1"] }))
        .differing,
      ["packages"],
    );
  });
});
