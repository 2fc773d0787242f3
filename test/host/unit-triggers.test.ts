/**
 * When a HostState unit is due a restart for the files and artifacts it restarts on, without
 * hosts: only when one it still restarts on was written or installed, never because the program
 * changed the list. The first `up` after ef1b763 (mkdocs' pages taken off its list) restarted
 * mkdocs.service on lyra with no file written: the recorded and the new triggers were compared as
 * whole lists. The case is the lab's, as `pulumi stack export` showed it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hostStateProvider, type HostStateOutputs } from "../../src/host/resources/host-state-provider";
import type { UnitItem, UnitState } from "../../src/host/resources/host-state-items";
import {
  currentTriggers,
  RESTART_PENDING,
  restartTriggered,
  triggersDue,
} from "../../src/host/resources/unit-triggers";
import type { HostConnection } from "../../src/host/transport/connection";
import { sha256Hex } from "../../src/host/transport/remote-path";

const hook = "/opt/lyra/docs/entries_hook.py";
const config = "/opt/lyra/docs/mkdocs.yml";
const page = "/opt/lyra/docs/docs/checks.md";
const otherPage = "/opt/lyra/docs/docs/hosts/mirror-1.md";
/** Every file's writeId as the host has it now. */
const written: Record<string, string> = {
  [hook]: "w-hook",
  [config]: "w-config",
  [page]: "w-page",
  [otherPage]: "w-other",
};
/** mkdocs as the program before ef1b763 recorded it: every page restarted it. */
const recordedWithPages = {
  restartOn: [page, otherPage, hook, config],
  triggers: ["w-page", "w-other", "w-hook", "w-config"],
};

describe("triggersDue", () => {
  it("is not due when the program only took paths off the unit's list (the first up after ef1b763)", () => {
    assert.equal(triggersDue(recordedWithPages, [hook, config], written), false);
    assert.equal(triggersDue(recordedWithPages, [], written), false, "every path taken off");
  });

  it("is not due for the same paths in another order, nor when nothing was written", () => {
    assert.equal(triggersDue(recordedWithPages, [config, hook, otherPage, page], written), false);
    assert.equal(triggersDue(recordedWithPages, recordedWithPages.restartOn, written), false);
  });

  it("is due when a file it still restarts on was written, whatever the list became", () => {
    const rewritten = { ...written, [config]: "w-config-2" };
    assert.equal(triggersDue(recordedWithPages, [hook, config], rewritten), true);
    assert.equal(triggersDue(recordedWithPages, recordedWithPages.restartOn, rewritten), true);
  });

  it("is not due when only a file it no longer restarts on was written (the version bump's pages)", () => {
    assert.equal(triggersDue(recordedWithPages, [hook, config], { ...written, [page]: "w-page-2" }), false);
  });

  it("is due for a path new to its list (an artifact's new install directory, a file it now reads)", () => {
    const recorded = { restartOn: [hook], triggers: ["w-hook"] };
    assert.equal(triggersDue(recorded, [hook, config], written), true);
  });

  it("is due while a restart is pending, even when the pending mark pairs up with its one path", () => {
    assert.equal(triggersDue({ restartOn: [config], triggers: RESTART_PENDING }, [config], written), true);
    assert.equal(triggersDue({ restartOn: [hook, config], triggers: RESTART_PENDING }, [hook, config], written), true);
  });

  it("compares whole lists when the recorded triggers do not pair up with a recorded list", () => {
    // A unit recorded before its first start (no triggers yet), and a state from before restartOn was kept.
    assert.equal(triggersDue({ restartOn: [config], triggers: [] }, [config], written), true);
    const legacy = { triggers: ["w-config"] } as Pick<UnitState, "triggers" | "restartOn">;
    assert.equal(triggersDue(legacy, [config], written), false);
    assert.equal(triggersDue(legacy, [hook, config], written), true);
  });

  it("gives each path's writeId, and '' for one that has none", () => {
    assert.deepEqual(currentTriggers([config, "/nowhere"], written), ["w-config", ""]);
  });
});

describe("restartTriggered", () => {
  const daemonJson = "/etc/docker/daemon.json";
  it("for a unit with no record (a re-flashed host: its package started it), is due when this apply writes a file it reads", () => {
    // dockerd, started by docker.io's install before daemon.json named the NAS's registry.
    assert.equal(restartTriggered(undefined, [daemonJson], { [daemonJson]: "w1" }, new Set([daemonJson])), true);
    assert.equal(restartTriggered(undefined, [hook, config], written, new Set([page])), false, "another file");
    assert.equal(restartTriggered(undefined, [], written, new Set([page])), false, "it restarts on nothing");
  });

  it("for a unit with no record whose files are already in place (a host taken over as it is), is not due", () => {
    assert.equal(restartTriggered(undefined, [hook, config], written, new Set()), false);
  });

  it("for a recorded unit, goes by its recorded triggers", () => {
    assert.equal(restartTriggered(recordedWithPages, [hook, config], written, new Set([page])), false);
    assert.equal(
      restartTriggered(recordedWithPages, [hook, config], { ...written, [config]: "w-config-2" }, new Set([config])),
      true,
    );
  });
});

describe("the HostState diff", () => {
  const connection: HostConnection = {
    host: "lyra",
    address: "127.0.0.11",
    port: 22,
    user: "root",
    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKr7ug7MRuqjKqwGgF7WDyB1MqNeTEL2XKkVQ7m0zwJ4",
  };
  const meta = { mode: "0644", owner: "root", group: "root" };
  const content = (path: string) => `content of ${path}\n`;
  const unitFile = "[Service]\nExecStart=/usr/bin/mkdocs serve\n";
  const unit = (restartOn: string[]): UnitItem => ({
    content: unitFile,
    enabled: true,
    active: true,
    after: [],
    restartOn,
  });
  const files = [hook, config, page, otherPage];
  const olds: HostStateOutputs = {
    connection,
    packages: { packages: [], installed: {} },
    directories: {},
    files: Object.fromEntries(
      files.map((path) => [
        path,
        { writeId: written[path], sha256: sha256Hex(content(path)), fileType: "file", ...meta },
      ]),
    ),
    secretFiles: {},
    artifacts: {},
    units: {
      "mkdocs.service": {
        ownsUnitFile: true,
        sha256: sha256Hex(unitFile),
        dropInSha256: "",
        enabled: true,
        active: true,
        startTimeoutSeconds: 60,
        activeState: "active",
        subState: "running",
        unitFileState: "enabled",
        needsDaemonReload: false,
        after: [],
        ...recordedWithPages,
      },
    },
  };
  const news = (restartOn: string[], changed: Record<string, string> = {}) => ({
    connection,
    packages: [],
    directories: {},
    files: Object.fromEntries(files.map((path) => [path, { content: changed[path] ?? content(path), ...meta }])),
    secretFiles: {},
    artifacts: {},
    units: { "mkdocs.service": unit(restartOn) },
  });

  it("shows no restart when the unit's list only got shorter, and a page's change restarts nothing", async () => {
    assert.deepEqual((await hostStateProvider.diff("lyra:state", olds, news([hook, config]))).differing, []);
    const bump = await hostStateProvider.diff("lyra:state", olds, news([hook, config], { [page]: "v2\n" }));
    assert.deepEqual(bump.differing, [`file ${page}: content`]);
  });

  it("shows the restart when a file the unit restarts on changes", async () => {
    const diff = await hostStateProvider.diff("lyra:state", olds, news([hook, config], { [config]: "site_name: x\n" }));
    assert.deepEqual(diff.differing, [`file ${config}: content`, "unit mkdocs.service: restart"]);
  });
});
