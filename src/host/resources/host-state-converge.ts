/**
 * Converging one host in as few round trips as it takes: one read of what the host has now, the
 * packages when some are missing, one batch of every path operation, and one call for every
 * systemctl action. What to do is worked out here, from that read, before anything is touched:
 * a path of the wrong type, or a packaged unit that does not exist, fails the apply with nothing
 * changed. The order is the one a host needs: packages; units no longer declared stopped and
 * removed (one may hold a port a new one needs); directories (parents first) and files; what is no
 * longer declared; unit files; then one daemon-reload, enable/disable, and each unit started or
 * restarted in its After= order, exactly once when a file it reads was written.
 */
import { describeHost, type HostConnection } from "../transport/connection";
import { countHostEvent } from "../transport/counters";
import { metadataMatches, type PathState, sha256Hex, wrongTypeError } from "../transport/remote-path";
import { unsatisfied } from "./apt-packages";
import { newWriteId } from "./file-provider";
import { applyPathBatch, applyUnitActions, type PathOperation, type UnitActions } from "./host-batch";
import { type HostSnapshot, readHostSnapshot } from "./host-snapshot";
import * as item from "./host-state-items";
import type { FileItem, UnitItem, UnitState } from "./host-state-items";
import {
  artifactTriggers,
  canonicalJson,
  deepestFirst,
  emptyState,
  itemsOf,
  partialFailure,
  withDigest,
} from "./host-state-shape";
import { applyArtifactBatch, type ArtifactOperation } from "./artifact-batch";
import { artifactHome } from "./artifacts";
import type { HostStateInputs, HostStateOutputs } from "./host-state-types";
import { unitApplyOrder } from "./host-state-validation";
import { activeMatches, dropInPath, planUnit, type UnitPlan, unitFilePath, unitIsAbsent } from "./systemd-state";
import { SYSTEMD_UNIT_DEFAULTS, UNIT_FILE_METADATA } from "./systemd-unit-provider";
import { hostError } from "../transport/errors";
import { currentTriggers, RESTART_PENDING, restartTriggered } from "./unit-triggers";

/** A path operation and what it changes in the recorded state once the host has done it. */
interface Step {
  operation: PathOperation;
  done: () => void;
}

/** Everything one read must cover: what is declared and what the state still records. */
function snapshotFor(state: HostStateOutputs, news: HostStateInputs) {
  const keys = (...records: Record<string, unknown>[]) => [...new Set(records.flatMap((r) => Object.keys(r)))];
  return {
    packages: news.packages,
    paths: keys(state.directories, news.directories, state.files, state.secretFiles, news.files, news.secretFiles),
    units: keys(state.units, news.units),
    artifacts: Object.values(news.artifacts).map((artifact) => artifact.installDir),
  };
}

/** Refuses a path that holds something the apply will not overwrite (nothing is changed yet). */
function refuseWrongTypes(connection: HostConnection, news: HostStateInputs, host: HostSnapshot): void {
  for (const path of Object.keys(news.directories)) {
    const found = host.paths[path];
    if (found.exists && found.type !== "directory") throw wrongTypeError(connection, path, found.type, "directory");
  }
  for (const path of [...Object.keys(news.files), ...Object.keys(news.secretFiles)]) {
    const found = host.paths[path];
    if (found.exists && (found.type === "directory" || found.type === "other"))
      throw wrongTypeError(connection, path, found.type, "regular file");
  }
  for (const [name, unit] of Object.entries(news.units)) {
    if (unit.content === null && host.units[name].loadState === "not-found")
      throw hostError(
        connection.host,
        "state",
        `${describeHost(connection)}: ${name} does not exist on the host and no unit file was given; is its package installed?`,
      );
  }
}

/** Whether a file on the host already has this content (a regular file with its sha256). */
const sameContent = (found: PathState, sha256: string) =>
  found.exists && found.type === "file" && found.sha256 === sha256;

/** Steps for the units no longer declared: stopped and removed, dependents first. */
function unitRemovals(state: HostStateOutputs, news: HostStateInputs): Step[] {
  return unitApplyOrder(state.units)
    .reverse()
    .filter((name) => !news.units[name])
    .map((name) => ({
      operation: { op: "remove-unit", unit: name, ownsUnitFile: state.units[name].ownsUnitFile },
      done: () => delete state.units[name],
    }));
}

/**
 * Steps for the artifacts no longer declared: every version they installed removed (after their
 * units are gone). One whose directory a declared artifact now uses is left to that one.
 */
function artifactRemovals(state: HostStateOutputs, news: HostStateInputs): Step[] {
  const artifacts = state.artifacts!;
  const homes = new Set(Object.values(news.artifacts).map((a) => artifactHome(a.installDir)));
  const steps: Step[] = [];
  for (const key of Object.keys(artifacts).sort()) {
    if (news.artifacts[key]) continue;
    const { installDir } = artifacts[key];
    if (homes.has(artifactHome(installDir))) delete artifacts[key];
    else steps.push({ operation: { op: "remove-artifact", installDir }, done: () => delete artifacts[key] });
  }
  return steps;
}

/**
 * Puts every declared artifact that the host lacks in place, in one remote command, and records
 * each one done. A unit restarting on one it installed gets RESTART_PENDING as its triggers, so it
 * is restarted once, now or, if the apply stops before, by the next apply. Returns the install
 * directories it put in place.
 */
async function installArtifacts(
  connection: HostConnection,
  state: HostStateOutputs,
  news: HostStateInputs,
  host: HostSnapshot,
  secrets: string[],
): Promise<string[]> {
  const operations: ArtifactOperation[] = [];
  for (const key of Object.keys(news.artifacts).sort()) {
    const wanted = news.artifacts[key];
    const action = item.artifacts.action(wanted, host);
    if (action === "none") state.artifacts![key] = item.artifacts.installed(wanted);
    else operations.push({ op: action, key, item: wanted });
  }
  const { done, error } = await applyArtifactBatch(connection, operations, secrets);
  for (const key of done) {
    const { installDir } = news.artifacts[key];
    state.artifacts![key] = item.artifacts.installed(news.artifacts[key]);
    for (const [name, unit] of Object.entries(news.units))
      if (unit.restartOn.includes(installDir) && state.units[name])
        state.units[name] = { ...state.units[name], triggers: RESTART_PENDING };
  }
  if (error) throw error;
  return done.map((key) => news.artifacts[key].installDir);
}

/** Steps for the declared directories, parents first. */
function directorySteps(state: HostStateOutputs, news: HostStateInputs, host: HostSnapshot): Step[] {
  const steps: Step[] = [];
  for (const path of Object.keys(news.directories).sort()) {
    const wanted = news.directories[path];
    const found = host.paths[path];
    const record = () => (state.directories[path] = { ...wanted, fileType: "directory" });
    if (!found.exists) steps.push({ operation: { op: "directory", path, ...wanted }, done: record });
    else if (!metadataMatches(found, wanted))
      steps.push({ operation: { op: "metadata", path, ...wanted }, done: record });
    else record();
  }
  return steps;
}

/**
 * Steps for the declared files (writing only what differs) and those no longer declared. Fills
 * `writeIds` with each declared file's writeId once the steps are done: new where it is written.
 */
function fileSteps(
  state: HostStateOutputs,
  news: HostStateInputs,
  host: HostSnapshot,
  writeIds: Record<string, string>,
): Step[] {
  const steps: Step[] = [];
  for (const kind of ["files", "secretFiles"] as const) {
    for (const path of Object.keys(news[kind]).sort()) {
      const wanted: FileItem = news[kind][path];
      const { content, ...metadata } = wanted;
      const sha256 = sha256Hex(content);
      const found = host.paths[path];
      const record = (writeId: string) => () =>
        (state[kind][path] = { writeId, sha256, fileType: "file", ...metadata });
      const kept = state[kind][path]?.writeId ?? newWriteId();
      writeIds[path] = sameContent(found, sha256) ? kept : newWriteId();
      if (!sameContent(found, sha256))
        steps.push({ operation: { op: "write", path, content, ...metadata }, done: record(writeIds[path]) });
      else if (!metadataMatches(found, metadata))
        steps.push({ operation: { op: "metadata", path, ...metadata }, done: record(kept) });
      else record(kept)();
    }
    for (const path of Object.keys(state[kind])) {
      if (news[kind][path]) continue;
      // A file that only became secret (or plain) stays on the host.
      if (news.files[path] || news.secretFiles[path]) delete state[kind][path];
      else steps.push({ operation: { op: "remove", path }, done: () => delete state[kind][path] });
    }
  }
  return steps;
}

/** Steps for the directories no longer declared, deepest first (removed only when empty). */
function directoryRemovals(state: HostStateOutputs, news: HostStateInputs): Step[] {
  return deepestFirst(Object.keys(state.directories))
    .filter((path) => !news.directories[path])
    .map((path) => ({ operation: { op: "remove-directory", path }, done: () => delete state.directories[path] }));
}

/** A unit's plan, and what its state will be once every action of the plan is done. */
interface UnitWork {
  name: string;
  unit: UnitItem;
  plan: UnitPlan;
  triggers: string[];
  final: UnitState;
}

/**
 * Each declared unit's work; `written`: every declared file's writeId after this apply;
 * `writtenNow`: the files and artifact install directories this apply writes.
 */
function unitWork(
  state: HostStateOutputs,
  news: HostStateInputs,
  host: HostSnapshot,
  written: Record<string, string>,
  writtenNow: ReadonlySet<string>,
): UnitWork[] {
  return unitApplyOrder(news.units).map((name) => {
    const unit = news.units[name];
    const installed = state.units[name];
    const observed = host.units[name];
    const triggers = currentTriggers(unit.restartOn, written);
    // A unit the state has no record of on the host (new, or its host re-flashed) has no triggers
    // to compare: one not running is started whatever its files did; one running already (its
    // package started it, with the package's own config) restarts when this apply writes a file it reads.
    const recorded = installed !== undefined && !unitIsAbsent(observed, installed.ownsUnitFile) ? installed : undefined;
    const triggersChanged = restartTriggered(recorded, unit.restartOn, written, writtenNow);
    const desiredSha256 = {
      unitFile: unit.content === null ? "" : sha256Hex(unit.content),
      dropIn: unit.dropIn === undefined ? "" : sha256Hex(unit.dropIn),
    };
    const plan = planUnit(observed, unit, desiredSha256, triggersChanged);
    const running = plan.startAction !== "none" || activeMatches(true, observed.activeState);
    const final: UnitState = {
      ownsUnitFile: unit.content !== null,
      sha256: desiredSha256.unitFile,
      dropInSha256: desiredSha256.dropIn,
      enabled: unit.enabled,
      active: unit.active,
      triggers,
      startTimeoutSeconds: SYSTEMD_UNIT_DEFAULTS.startTimeoutSeconds,
      activeState: running ? "active" : observed.activeState,
      subState: running ? "running" : observed.subState,
      unitFileState: plan.enable ? "enabled" : plan.disable ? "disabled" : observed.unitFileState,
      needsDaemonReload: false,
      after: unit.after,
      restartOn: unit.restartOn,
    };
    return { name, unit, plan, triggers, final };
  });
}

/** Steps writing or removing unit files and drop-ins. */
function unitFileSteps(state: HostStateOutputs, work: UnitWork[]): Step[] {
  const steps: Step[] = [];
  for (const { name, unit, plan, final } of work) {
    // Once its files are written, the state says so; a restart still due stays due (see RESTART_PENDING).
    const recordFiles = () => {
      const before = state.units[name] ?? item.units.attempted(unit);
      state.units[name] = {
        ...before,
        ownsUnitFile: final.ownsUnitFile,
        sha256: final.sha256,
        dropInSha256: final.dropInSha256,
        triggers: plan.startAction === "restart" ? RESTART_PENDING : before.triggers,
      };
    };
    if (plan.writeUnitFile)
      steps.push({
        operation: { op: "write", path: unitFilePath(name), content: unit.content!, ...UNIT_FILE_METADATA },
        done: recordFiles,
      });
    if (plan.removeUnitFile) steps.push({ operation: { op: "remove", path: unitFilePath(name) }, done: recordFiles });
    if (plan.writeDropIn)
      steps.push({
        operation: { op: "write", path: dropInPath(name), content: unit.dropIn!, ...UNIT_FILE_METADATA },
        done: recordFiles,
      });
    if (plan.removeDropIn) steps.push({ operation: { op: "remove", path: dropInPath(name) }, done: recordFiles });
  }
  return steps;
}

/** Every systemctl action of the units' plans. */
function unitActions(work: UnitWork[]): UnitActions {
  return {
    daemonReload: work.some(({ plan }) => plan.daemonReload),
    enable: work.filter(({ plan }) => plan.enable).map(({ name }) => name),
    disable: work.filter(({ plan }) => plan.disable).map(({ name }) => name),
    starts: work
      .filter(({ plan }) => plan.startAction !== "none")
      .map(({ name, plan }) => ({
        unit: name,
        action: plan.startAction as "start" | "restart",
        timeoutSeconds: SYSTEMD_UNIT_DEFAULTS.startTimeoutSeconds,
      })),
  };
}

/** Values that must never appear in a message: secret file contents, unit files and drop-ins. */
function secretsOf(news: HostStateInputs): string[] {
  return [
    ...Object.values(news.secretFiles).map((file) => file.content),
    ...Object.values(news.units).flatMap((unit) => [unit.content ?? "", unit.dropIn ?? ""]),
  ].filter((value) => value.length > 0);
}

/** Runs path steps in one batch and records those done; throws what stopped it. */
async function runSteps(connection: HostConnection, steps: Step[], secrets: string[]): Promise<void> {
  const { done, error } = await applyPathBatch(
    connection,
    steps.map((step) => step.operation),
    secrets,
  );
  steps.slice(0, done).forEach((step) => step.done());
  if (error) throw error;
}

/**
 * Converges the host from `previous` (refreshed state; none on create) to `news`. On a failure
 * part way, the error carries the state reached (see partialFailure), so the engine records what
 * the host really has: a file written but its unit not yet restarted is restarted by the next apply.
 */
export async function converge(
  id: string,
  previous: HostStateOutputs | undefined,
  news: HostStateInputs & { __provider?: unknown },
): Promise<HostStateOutputs> {
  const { connection } = news;
  const state: HostStateOutputs = { ...structuredClone(itemsOf(previous ?? emptyState(connection))), connection };
  state.artifacts ??= {};
  const start = canonicalJson(itemsOf(state));
  const secrets = secretsOf(news);
  try {
    let host = await readHostSnapshot(connection, snapshotFor(state, news));
    if (unsatisfied(news.packages, host.installed).length > 0) {
      state.packages = await item.packages.apply(connection, news.packages, news.aptProxy);
      // What the packages brought (a packaged unit, its files) is read again.
      host = await readHostSnapshot(connection, snapshotFor(state, news));
    } else {
      state.packages = { packages: news.packages, installed: host.installed };
    }
    refuseWrongTypes(connection, news, host);
    const installedNow = await installArtifacts(connection, state, news, host, secrets);
    const writeIds: Record<string, string> = artifactTriggers(state);
    const pathSteps = [
      ...unitRemovals(state, news),
      ...artifactRemovals(state, news),
      ...directorySteps(state, news, host),
      ...fileSteps(state, news, host, writeIds),
      ...directoryRemovals(state, news),
    ];
    const writtenNow = new Set([
      ...installedNow,
      ...pathSteps.flatMap(({ operation }) => (operation.op === "write" ? [operation.path] : [])),
    ]);
    const work = unitWork(state, news, host, writeIds, writtenNow);
    await runSteps(connection, [...pathSteps, ...unitFileSteps(state, work)], secrets);
    // A unit installed for the first time is recorded before it is tried: if its first start
    // fails, the next apply converges it, or removes it if it is no longer declared.
    for (const { name, unit } of work) if (!state.units[name]) state.units[name] = item.units.attempted(unit);
    const actions = unitActions(work);
    const { started, error } = await applyUnitActions(connection, actions, secrets);
    for (const { unit, retried } of started) {
      const action = actions.starts.find((s) => s.unit === unit)!.action;
      countHostEvent(connection.host, action === "restart" ? "unitRestarts" : "unitStarts");
      if (retried) countHostEvent(connection.host, "unitStartRetries");
    }
    // After a failure, only the units it started are known to be as declared; the others keep
    // what was recorded (a restart still due stays due).
    const startedNames = new Set(started.map((s) => s.unit));
    for (const { name, final } of work) if (!error || startedNames.has(name)) state.units[name] = final;
    if (error) throw error;
    return withDigest(state);
  } catch (err) {
    throw partialFailure(err, id, start, state, news.__provider);
  }
}
