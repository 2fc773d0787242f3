/**
 * Lab: a HostState's refresh reads the whole host in one remote command, and sees exactly what
 * the single-item providers see reading the same items one by one: present, drifted and absent
 * files and directories, written and packaged units (running, stopped, enabled or not), and
 * packages installed or not; artifacts by their marker and `current`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HostConnection } from "../../src/host/transport/connection";
import { hostCounters, resetHostCounters } from "../../src/host/transport/counters";
import { sha256Hex } from "../../src/host/transport/remote-path";
import { aptPackagesProvider } from "../../src/host/resources/apt-packages";
import { directoryProvider } from "../../src/host/resources/directory";
import { fileProvider } from "../../src/host/resources/file-provider";
import { hostStateProvider, type HostStateOutputs } from "../../src/host/resources/host-state-provider";
import { systemdUnitProvider } from "../../src/host/resources/systemd-unit-provider";
import { type Lab, labHostFixture, onHost } from "./support/lab";

const HOST = "lyra";
const PREFIX = "lyra-host-snapshot-test";
const DIR = `/etc/${PREFIX}`;
const WORKER = `${PREFIX}-worker.service`;
const IDLE = `${PREFIX}-idle.service`;
let lab: Lab;
let connection: HostConnection;

const APPS = `/opt/${PREFIX}`;
const EMPTY = `${DIR}/empty.conf`;
const ODD = `${DIR}/odd name \\ cr\r.conf`;
const CLEANUP = `systemctl disable --now ${WORKER} ${IDLE} 2>/dev/null || true
rm -rf /etc/systemd/system/${PREFIX}-* ${DIR} ${APPS}; systemctl daemon-reload; systemctl reset-failed 2>/dev/null || true`;

const meta = { mode: "0644", owner: "root", group: "root" };
const unit = (exec: string) => `[Service]\nExecStart=${exec}\n[Install]\nWantedBy=multi-user.target\n`;

labHostFixture(HOST, CLEANUP, (l, c) => {
  lab = l;
  connection = c;
});

/** What the host has, by the single-item providers, one read per item: [key, state or "absent"]. */
async function oneByOne(state: HostStateOutputs): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {};
  const strip = (props: Record<string, unknown> | undefined, key: string) => {
    if (!props || Object.keys(props).length === 0) return "absent";
    const { connection: _c, [key]: _k, ...rest } = props;
    return rest;
  };
  for (const [path, s] of Object.entries(state.directories)) {
    const read = await directoryProvider.read("", { ...s, connection, path });
    seen[`directory ${path}`] = strip(read.props as never, "path");
  }
  for (const [path, s] of Object.entries(state.files)) {
    const read = await fileProvider.read("", { ...s, connection, path });
    seen[`file ${path}`] = strip(read.props as never, "path");
  }
  for (const [name, s] of Object.entries(state.units)) {
    const { after: _a, restartOn: _r, ...unitState } = s;
    const read = await systemdUnitProvider.read("", { ...unitState, connection, name });
    seen[`unit ${name}`] = strip(read.props as never, "name");
  }
  const apt = await aptPackagesProvider.read("", {
    connection,
    packages: state.packages.packages,
    installed: state.packages.installed,
    timeoutSeconds: 600,
  });
  seen.packages = apt.props?.installed ?? {};
  return seen;
}

/** The same view of a HostState's refreshed items. */
function asItems(state: HostStateOutputs): Record<string, unknown> {
  const seen: Record<string, unknown> = {};
  for (const [path, s] of Object.entries(state.directories)) seen[`directory ${path}`] = s;
  for (const [path, s] of Object.entries(state.files)) seen[`file ${path}`] = s;
  for (const [name, s] of Object.entries(state.units)) {
    const { after: _a, restartOn: _r, ...unitState } = s;
    seen[`unit ${name}`] = unitState;
  }
  seen.packages = state.packages.installed;
  return seen;
}

describe(`lab: one read per host on ${HOST}`, () => {
  it("reads every item in one command, as the single-item providers read them", async () => {
    const created = await hostStateProvider.create({
      connection,
      packages: ["coreutils", "openssh-server"],
      directories: { [DIR]: { ...meta, mode: "0755" }, [`${DIR}/sub`]: { ...meta, mode: "0700" } },
      files: {
        [`${DIR}/a.conf`]: { content: "a\n", ...meta },
        [`${DIR}/b.conf`]: { content: "b\n", ...meta, mode: "0600" },
        [`${DIR}/sub/c.conf`]: { content: "c\n", ...meta },
        [EMPTY]: { content: "", ...meta },
        // sha256sum escapes a name holding a backslash or carriage return.
        [ODD]: { content: "odd\n", ...meta },
        [`${DIR}/link.conf`]: { content: "link\n", ...meta },
        [`${DIR}/dangling.conf`]: { content: "dangling\n", ...meta },
      },
      secretFiles: {},
      artifacts: {},
      units: {
        [WORKER]: { content: unit("/bin/sleep infinity"), enabled: true, active: true, after: [], restartOn: [] },
        [IDLE]: { content: unit("/bin/sleep infinity"), enabled: false, active: false, after: [], restartOn: [] },
        "ssh.service": { content: null, enabled: true, active: true, after: [], restartOn: [] },
      },
    });
    const state = created.outs!;
    // Drift of every kind: content, mode, a deleted file and directory, files replaced by a
    // symlink and by a dangling one, a stopped and disabled unit, an edited unit file, and a
    // package the host does not have.
    await onHost(
      lab,
      HOST,
      `echo edited >> ${DIR}/a.conf; chmod 0640 ${DIR}/b.conf; rm -rf ${DIR}/sub
ln -sfn a.conf ${DIR}/link.conf; ln -sfn /nonexistent ${DIR}/dangling.conf
systemctl disable --now ${WORKER}; echo '# edited' >> /etc/systemd/system/${IDLE}`,
    );
    // Artifacts as an install leaves them: one complete and current; one whose marker names
    // another build; one with no marker; one complete but not current.
    const sha = (c: string) => c.repeat(64);
    await onHost(
      lab,
      HOST,
      `mkdir -p ${APPS}/good/1.0 ${APPS}/other/2.0 ${APPS}/partial/3.0 ${APPS}/old/1.0 ${APPS}/old/2.0
printf '%s 1.0\\n' ${sha("a")} > ${APPS}/good/1.0/.lyra-artifact; ln -s ${APPS}/good/1.0 ${APPS}/good/current
printf '%s 2.1\\n' ${sha("b")} > ${APPS}/other/2.0/.lyra-artifact; ln -s ${APPS}/other/2.0 ${APPS}/other/current
printf '%s 1.0\\n' ${sha("d")} > ${APPS}/old/1.0/.lyra-artifact; ln -s ${APPS}/old/2.0 ${APPS}/old/current`,
    );
    const recorded = (version: string, c: string, installDir: string) => ({
      version,
      sha256: sha(c),
      installed: true,
      installDir,
    });
    const wanted = {
      ...state,
      packages: { ...state.packages, packages: [...state.packages.packages, "tree"] },
      artifacts: {
        good: recorded("1.0", "a", `${APPS}/good/1.0`),
        other: recorded("2.0", "b", `${APPS}/other/2.0`),
        partial: recorded("3.0", "c", `${APPS}/partial/3.0`),
        old: recorded("1.0", "d", `${APPS}/old/1.0`),
      },
    };
    resetHostCounters();
    const read = await hostStateProvider.read(`${HOST}:state`, wanted);
    assert.equal(hostCounters(HOST).remoteCommands, 1, "one remote command reads the whole host");
    assert.equal(hostCounters(HOST).remoteWrites, 0);
    const items = asItems(read.props!);
    assert.equal(items[`directory ${DIR}/sub`], undefined, "a deleted directory is absent");
    assert.equal(items[`file ${DIR}/sub/c.conf`], undefined, "a deleted file is absent");
    assert.deepEqual(Object.keys(read.props!.packages.installed).sort(), ["coreutils", "openssh-server"]);
    const expected = await oneByOne(wanted);
    for (const [key, value] of Object.entries(expected)) {
      if (value === "absent") assert.equal(items[key], undefined, `${key}: absent`);
      else assert.deepEqual(items[key], value, key);
    }
    assert.notEqual((items[`file ${DIR}/a.conf`] as { sha256: string }).sha256, state.files[`${DIR}/a.conf`].sha256);
    assert.equal((items[`file ${DIR}/b.conf`] as { mode: string }).mode, "0640");
    assert.equal((items[`file ${EMPTY}`] as { sha256: string }).sha256, sha256Hex(""));
    assert.equal((items[`file ${ODD}`] as { sha256: string }).sha256, sha256Hex("odd\n"));
    for (const link of ["link.conf", "dangling.conf"])
      assert.deepEqual(
        [
          (items[`file ${DIR}/${link}`] as { fileType: string }).fileType,
          (items[`file ${DIR}/${link}`] as { sha256: string }).sha256,
        ],
        ["symlink", ""],
        `${link}: a symlink, no digest`,
      );
    assert.equal((items[`unit ${WORKER}`] as { activeState: string }).activeState, "inactive");
    assert.equal((items[`unit ${WORKER}`] as { enabled: boolean }).enabled, false);
    assert.deepEqual(read.props!.artifacts, {
      good: recorded("1.0", "a", `${APPS}/good/1.0`),
      other: { ...recorded("2.1", "b", `${APPS}/other/2.0`), installed: true },
      partial: { ...recorded("3.0", "c", `${APPS}/partial/3.0`), installed: false },
      old: { ...recorded("1.0", "d", `${APPS}/old/1.0`), installed: false },
    });
  });
});
