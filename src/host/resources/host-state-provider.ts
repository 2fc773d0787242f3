/**
 * The dynamic provider behind {@link HostState}: one host's packages, directories, files and units
 * as one resource. A refresh reads every item back in one remote command (./host-snapshot.ts);
 * an update converges the host in a few batched ones (./host-state-converge.ts), each unit
 * restarted exactly once when a file it reads was written.
 *
 * A host whose state is all it has runs its health gate in its own apply (./host-state-gate.ts).
 *
 * One resource per host rather than one per item keeps a 1000-mirror fleet within what the Pulumi
 * engine evaluates quickly (see bench/program-scale.ts); `differing` still names every item.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { isHostError } from "../transport/errors";
import * as item from "./host-state-items";
import { readHostSnapshot, type SnapshotRequest } from "./host-snapshot";
import { hostStateProblems, unitApplyOrder } from "./host-state-validation";
import { artifactTriggers, deepestFirst, emptyState, withDigest, writeIds } from "./host-state-shape";
import type { HostStateInputs, HostStateOutputs } from "./host-state-types";
import { converge } from "./host-state-converge";
import { gateDiffering, gateProblems, passGate } from "./host-state-gate";
import { triggersDue } from "./unit-triggers";
import { applyPathBatch, type PathOperation } from "./host-batch";
import {
  connectionCheckFailures,
  connectionDiff,
  containsUnknown,
  hostDiff,
  HostDiffResult,
  storedConnection,
} from "./provider-support";

export type { HostStateInputs, HostStateItemsText, HostStateOutputs } from "./host-state-types";

/** JSON text decoded, or undefined when it is not JSON (for `check` to report). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The properties sent as JSON text. */
const JSON_TEXT_KEYS = ["items", "secretFiles"] as const;

/**
 * Inputs as the provider works with them, `items` and `secretFiles` decoded from their JSON text,
 * and which of those two are not the JSON text of an object (for `check` to report). Each text is
 * parsed once: a 1000-mirror fleet's items are 40 MB of it, in every check round.
 */
function decodeReporting(raw: HostStateInputs & { items?: unknown }): { decoded: HostStateInputs; notJson: string[] } {
  const decoded = { ...raw } as HostStateInputs & { items?: unknown };
  const notJson: string[] = [];
  const texts: Partial<Record<(typeof JSON_TEXT_KEYS)[number], unknown>> = {};
  for (const key of JSON_TEXT_KEYS) {
    const value = raw[key];
    if (typeof value !== "string" || containsUnknown(value)) continue;
    const object = parsed(value);
    if (typeof object !== "object" || object === null || Array.isArray(object)) notJson.push(key);
    texts[key] = object;
  }
  delete decoded.items;
  if ("items" in texts) Object.assign(decoded, texts.items);
  if ("secretFiles" in texts) decoded.secretFiles = texts.secretFiles as HostStateInputs["secretFiles"];
  // A program from before artifacts sends none.
  decoded.artifacts ??= {};
  return { decoded, notJson };
}

/**
 * Inputs as the provider works with them: `items` and `secretFiles` decoded from their JSON text.
 * Inputs already in that form pass through, so tests and other callers may give objects.
 */
export const decodeInputs = (raw: HostStateInputs & { items?: unknown }): HostStateInputs =>
  decodeReporting(raw).decoded;

/** What one snapshot must read to observe every item of `props`. */
const snapshotRequest = (props: HostStateOutputs): SnapshotRequest => ({
  packages: props.packages.packages,
  paths: [...Object.keys(props.directories), ...Object.keys(props.files), ...Object.keys(props.secretFiles)],
  units: Object.keys(props.units),
  artifacts: Object.values(props.artifacts ?? {}).map((artifact) => artifact.installDir),
});

/**
 * What the host has of each item in `props`, read in one remote command; an item that is gone is
 * left out (and created again).
 */
async function readHost(props: HostStateOutputs): Promise<HostStateOutputs> {
  const { connection } = props;
  const host = await readHostSnapshot(connection, snapshotRequest(props));
  const state = emptyState(connection);
  state.packages = item.packages.read(connection, props.packages, host);
  const readAll = <S>(have: Record<string, S>, into: Record<string, S>, read: (key: string, s: S) => S | undefined) => {
    for (const [key, s] of Object.entries(have)) {
      const found = read(key, s);
      if (found) into[key] = found;
    }
  };
  readAll(props.directories, state.directories, (path, s) => item.directories.read(connection, path, s, host));
  readAll(props.files, state.files, (path, s) => item.files.read(connection, path, s, host));
  readAll(props.secretFiles, state.secretFiles, (path, s) => item.files.read(connection, path, s, host));
  readAll(props.units, state.units, (name, s) => item.units.read(connection, name, s, host));
  // An artifact stays in state when its install is gone (installed: false): the diff shows it.
  readAll(props.artifacts ?? {}, state.artifacts!, (_key, s) => item.artifacts.read(s, host));
  return state;
}

/** The HostState provider. Exported for tests, which drive it the way the engine does. */
export const hostStateProvider = {
  async check(_olds: HostStateInputs, news: HostStateInputs): Promise<dynamic.CheckResult<HostStateInputs>> {
    const { decoded, notJson } = decodeReporting(news);
    const failures = [
      ...connectionCheckFailures(news.connection),
      ...notJson.map((key) => ({ property: key, reason: "must be the JSON text of an object" })),
      ...(notJson.length > 0 ? [] : hostStateProblems(decoded)),
      ...gateProblems(news.gate),
    ];
    // The inputs stay as given: the engine stores and compares them.
    return { inputs: news, failures };
  },

  /** What differs, item by item: "file /etc/x: content", "unit mqtt-broker.service: restart". */
  async diff(_id: string, olds: HostStateOutputs, rawNews: HostStateInputs): Promise<HostDiffResult> {
    const news = decodeInputs(rawNews);
    const { replaces, differing } = connectionDiff(olds.connection, news.connection);
    // Not reached at refresh: the state is only the last known, so there is nothing to compare,
    // and the host is not contacted again here (a failing diff would stop the whole preview).
    if (olds.unreadable) return hostDiff(replaces, [...differing, `unreadable: ${olds.unreadable}`]);
    if (containsUnknown(news)) return hostDiff(replaces, [...differing, "unknown"]);
    const connection = news.connection;
    if (await item.packages.differ(connection, olds.packages, news.packages)) differing.push("packages");
    const changedFiles = new Set<string>();
    const compare = async <S, I>(
      label: string,
      have: Record<string, S>,
      want: Record<string, I>,
      diff: (key: string, s: S, i: I) => Promise<string[]>,
    ) => {
      for (const key of Object.keys(want).sort()) {
        const found = have[key] ? await diff(key, have[key], want[key]) : ["absent"];
        if (found.length > 0) differing.push(`${label} ${key}: ${found.join(", ")}`);
        if (label === "file" && (found.includes("absent") || found.includes("content"))) changedFiles.add(key);
      }
      for (const key of Object.keys(have).sort()) if (!want[key]) differing.push(`${label} ${key}: not declared`);
    };
    // Artifacts first: a unit restarts when one it runs will be installed.
    const changedArtifacts = new Set<string>();
    await compare("artifact", olds.artifacts ?? {}, news.artifacts, async (_key, s, i) => {
      const found = item.artifacts.differing(s, i);
      if (found.length > 0) changedArtifacts.add(i.installDir);
      return found;
    });
    for (const [key, wanted] of Object.entries(news.artifacts))
      if (!olds.artifacts?.[key]) changedArtifacts.add(wanted.installDir);
    await compare("directory", olds.directories, news.directories, (path, s, i) =>
      item.directories.differing(connection, path, s, i),
    );
    const oldFiles = { ...olds.files, ...olds.secretFiles };
    await compare("file", oldFiles, { ...news.files, ...news.secretFiles }, (path, s, i) =>
      item.files.differing(connection, path, s, i),
    );
    // A unit restarts when a file it reads will be written, or was written by an apply that
    // failed before reaching the unit (its triggers then lag behind the files' writeIds).
    const written = { ...writeIds(olds), ...artifactTriggers(olds) };
    await compare("unit", olds.units, news.units, async (name, s, i) => {
      const found = await item.units.differing(connection, name, s, i);
      const pending = triggersDue(s, i.restartOn, written);
      const changed = (path: string) => changedFiles.has(path) || changedArtifacts.has(path);
      return pending || i.restartOn.some(changed) ? [...found, "restart"] : found;
    });
    const gate = gateDiffering(olds.gate, news.gate);
    if (gate) differing.push(gate);
    return hostDiff(replaces, differing);
  },

  async create(inputs: HostStateInputs): Promise<dynamic.CreateResult<HostStateOutputs>> {
    const id = `${inputs.connection.host}:state`;
    const decoded = decodeInputs(inputs);
    return { id, outs: await passGate(id, await converge(id, undefined, decoded), decoded) };
  },

  /**
   * What the host has of each item. A host that cannot be read (a HostError: unreachable, login
   * refused, wrong host key...) keeps its last known state, marked {@link HostStateOutputs.unreadable}.
   */
  async read(id: string, props: HostStateOutputs): Promise<dynamic.ReadResult<HostStateOutputs>> {
    const connection = storedConnection("HostState", id, props);
    try {
      // The gate is not read from the host: it stays as it last passed.
      const read = withDigest(await readHost({ ...props, connection }));
      return { id, props: props.gate ? { ...read, gate: props.gate } : read };
    } catch (err) {
      if (!isHostError(err)) throw err;
      return { id, props: { ...props, unreadable: err.message } };
    }
  },

  async update(
    id: string,
    olds: HostStateOutputs,
    news: HostStateInputs,
  ): Promise<dynamic.UpdateResult<HostStateOutputs>> {
    const decoded = decodeInputs(news);
    // A state marked unreadable is stale: read the host now (where the stack now says it is),
    // which fails with the reason, before anything, if it still cannot be reached.
    const current = olds.unreadable ? await readHost({ ...olds, connection: decoded.connection }) : olds;
    return { outs: await passGate(id, await converge(id, current, decoded), decoded) };
  },

  /**
   * Removes the units, then the files, then the directories that are left empty, then the
   * artifacts (every version it installed, and `current`): one batch.
   */
  async delete(id: string, props: HostStateOutputs): Promise<void> {
    const connection = storedConnection("HostState", id, props);
    const operations: PathOperation[] = [
      ...unitApplyOrder(props.units)
        .reverse()
        .map((unit): PathOperation => ({ op: "remove-unit", unit, ownsUnitFile: props.units[unit].ownsUnitFile })),
      ...Object.keys({ ...props.files, ...props.secretFiles }).map((path): PathOperation => ({ op: "remove", path })),
      ...deepestFirst(Object.keys(props.directories)).map((path): PathOperation => ({ op: "remove-directory", path })),
      ...Object.values(props.artifacts ?? {}).map(({ installDir }): PathOperation => ({
        op: "remove-artifact",
        installDir,
      })),
    ];
    const { error } = await applyPathBatch(connection, operations, []);
    if (error) throw error;
  },
};
