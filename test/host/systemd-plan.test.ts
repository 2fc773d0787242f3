/**
 * The unit convergence plan and the parsing of what systemd reports: pure functions, no host.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256Hex } from "../../src/host/transport/remote-path";
import {
  DesiredUnit,
  enabledMatches,
  ObservedUnit,
  parseObservedUnit,
  planUnit,
} from "../../src/host/resources/systemd-state";

const CONTENT = "[Service]\nExecStart=/bin/true\n";
const SHA = { unitFile: sha256Hex(CONTENT), dropIn: "" };
const present = (sha256: string) => ({
  exists: true as const,
  type: "file" as const,
  mode: "0644",
  owner: "root",
  uid: "0",
  group: "root",
  gid: "0",
  sha256,
});

function observed(overrides: Partial<ObservedUnit> = {}): ObservedUnit {
  return {
    unitFile: present(SHA.unitFile),
    dropIn: { exists: false },
    loadState: "loaded",
    activeState: "active",
    subState: "running",
    unitFileState: "enabled",
    needsDaemonReload: false,
    ...overrides,
  };
}

const desired: DesiredUnit = { content: CONTENT, enabled: true, active: true };

describe("planUnit", () => {
  it("does nothing for a unit in sync", () => {
    assert.deepEqual(planUnit(observed(), desired, SHA, false), {
      writeUnitFile: false,
      removeUnitFile: false,
      writeDropIn: false,
      removeDropIn: false,
      daemonReload: false,
      enable: false,
      disable: false,
      startAction: "none",
    });
  });

  it("writes, reloads and starts a unit that is not there", () => {
    const plan = planUnit(
      observed({ unitFile: { exists: false }, loadState: "not-found", activeState: "inactive", unitFileState: "" }),
      desired,
      SHA,
      false,
    );
    assert.deepEqual(
      [plan.writeUnitFile, plan.daemonReload, plan.enable, plan.startAction],
      [true, true, true, "start"],
    );
  });

  it("restarts a running unit once when its file, a trigger, or both change", () => {
    assert.equal(planUnit(observed({ unitFile: present("0".repeat(64)) }), desired, SHA, false).startAction, "restart");
    assert.equal(planUnit(observed(), desired, SHA, true).startAction, "restart");
    assert.equal(planUnit(observed({ unitFile: present("0".repeat(64)) }), desired, SHA, true).startAction, "restart");
    assert.equal(planUnit(observed({ needsDaemonReload: true }), desired, SHA, false).startAction, "restart");
  });

  it("starts (not restarts) a changed unit that is not running", () => {
    const plan = planUnit(observed({ unitFile: present("0".repeat(64)), activeState: "failed" }), desired, SHA, true);
    assert.equal(plan.startAction, "start");
  });

  it("never starts, restarts or stops a unit that is not meant to be kept running", () => {
    const handsOff = { ...desired, active: false };
    assert.equal(planUnit(observed({ activeState: "activating" }), handsOff, SHA, true).startAction, "none");
    assert.equal(
      planUnit(observed({ activeState: "inactive", unitFile: present("0".repeat(64)) }), handsOff, SHA, false)
        .startAction,
      "none",
    );
  });

  it("enables or disables only units that can be switched", () => {
    assert.equal(planUnit(observed({ unitFileState: "disabled" }), desired, SHA, false).enable, true);
    assert.equal(
      planUnit(observed({ unitFileState: "enabled" }), { ...desired, enabled: false }, SHA, false).disable,
      true,
    );
    assert.equal(planUnit(observed({ unitFileState: "static" }), desired, SHA, false).enable, false);
    assert.equal(enabledMatches(false, "static"), true);
    assert.equal(enabledMatches(true, "enabled-runtime"), false, "enabled only until the next boot is not enabled");
  });

  it("for a packaged unit manages only the drop-in, and removes a unit file left from when it was ours", () => {
    const packaged: DesiredUnit = { content: null, dropIn: "[Service]\nNice=5\n", enabled: true, active: true };
    const sha = { unitFile: "", dropIn: sha256Hex("[Service]\nNice=5\n") };
    const plan = planUnit(observed(), packaged, sha, false);
    assert.deepEqual(
      [plan.writeUnitFile, plan.removeUnitFile, plan.writeDropIn, plan.startAction],
      [false, true, true, "restart"],
    );
    const inSync = planUnit(
      observed({ unitFile: { exists: false }, dropIn: present(sha.dropIn) }),
      packaged,
      sha,
      false,
    );
    assert.deepEqual([inSync.daemonReload, inSync.startAction], [false, "none"]);
  });
});

describe("parseObservedUnit", () => {
  it("reads the two stat lines and systemctl show's properties in any order", () => {
    const stdout = [
      `present\t644\t0\troot\t0\troot\tregular file\t${SHA.unitFile}`,
      "absent",
      "UnitFileState=enabled",
      "LoadState=loaded",
      "ActiveState=active",
      "SubState=running",
      "NeedDaemonReload=yes",
      "",
    ].join("\n");
    const unit = parseObservedUnit(stdout);
    assert.deepEqual(unit.unitFile, present(SHA.unitFile));
    assert.deepEqual(unit.dropIn, { exists: false });
    assert.deepEqual(
      [unit.loadState, unit.activeState, unit.subState, unit.unitFileState, unit.needsDaemonReload],
      ["loaded", "active", "running", "enabled", true],
    );
  });
});
