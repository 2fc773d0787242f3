/**
 * The dynamic provider behind {@link HostState}: one host's packages, directories, files and units
 * as one resource. It reads every item back on refresh, and converges in the order a host needs:
 * packages, then units no longer declared are stopped and removed, then directories (parents
 * first) and files, then what is no longer declared, then units in their After= order, each
 * restarted exactly once when a file it reads was written.
 *
 * One resource per host rather than one per item keeps a 1000-mirror fleet within what the Pulumi
 * engine evaluates quickly (see bench/program-scale.ts); `differing` still names every item.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { HostConnection } from "../transport/connection";
import { isHostError } from "../transport/errors";
import * as item from "./host-state-items";
import type { DirectoryState, FileItem, FileState, PackagesState, UnitItem, UnitState } from "./host-state-items";
import { readHostSnapshot, type SnapshotRequest } from "./host-snapshot";
import { hostStateProblems, unitApplyOrder } from "./host-state-validation";
import {
  connectionCheckFailures,
  connectionDiff,
  containsUnknown,
  hostDiff,
  HostDiffResult,
  storedConnection,
} from "./provider-support";
import { type PathMetadata, sha256Hex } from "../transport/remote-path";

/**
 * What the provider works with. The resource class sends the plain items as one JSON text
 * (`items`, see {@link HostStateItemsText}) and the secret files as another; {@link decodeInputs}
 * turns them back into these objects.
 */
export interface HostStateInputs {
  connection: HostConnection;
  /** Debian packages, apt-get's syntax, sorted. */
  packages: string[];
  directories: Record<string, PathMetadata>;
  /** Files by path whose content is plain. */
  files: Record<string, FileItem>;
  /** Files by path whose content holds secrets (a secret input, so its state is secret too). */
  secretFiles: Record<string, FileItem>;
  /** Units by name ("mqtt-broker.service"). */
  units: Record<string, UnitItem>;
}

/** What `items` holds, as JSON text. */
export type HostStateItemsText = Pick<HostStateInputs, "packages" | "directories" | "files" | "units">;

/** What state holds: after a read, what the host really has. Never a file's content. */
export interface HostStateOutputs {
  connection: HostConnection;
  packages: PackagesState;
  directories: Record<string, DirectoryState>;
  files: Record<string, FileState>;
  secretFiles: Record<string, FileState>;
  units: Record<string, UnitState>;
  /**
   * Set by a refresh that could not reach the host (or log in, or match its key): why. The rest
   * is the state last known. Pulumi stops a whole `pulumi up` when any refresh fails, so one
   * powered-off mirror would hold back the fleet; instead its refresh succeeds with this mark,
   * its diff shows it, and its update reads the host again first and fails alone if it still cannot.
   */
  unreadable?: string;
  /**
   * A digest of every item as the host has it, after the last apply or refresh. It changes
   * exactly when something on the host changed (a repair too), so a health gate that takes it
   * as a trigger checks the host again after every change, and never after a no-op.
   */
  converged?: string;
}

/** JSON text decoded, or undefined when it is not JSON (for `check` to report). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Inputs as the provider works with them: `items` and `secretFiles` decoded from their JSON text.
 * Inputs already in that form pass through, so tests and other callers may give objects.
 */
export function decodeInputs(raw: HostStateInputs & { items?: unknown }): HostStateInputs {
  const { items, ...decoded } = raw as HostStateInputs & { items?: unknown };
  if (typeof items === "string" && !containsUnknown(items)) Object.assign(decoded, parsed(items));
  if (typeof decoded.secretFiles === "string" && !containsUnknown(decoded.secretFiles))
    decoded.secretFiles = parsed(decoded.secretFiles) as HostStateInputs["secretFiles"];
  return decoded;
}

/** Properties sent as JSON text that are not valid JSON of an object. */
function notJson(raw: Record<string, unknown>): string[] {
  return (["items", "secretFiles"] as const).filter((key) => {
    const value = raw[key];
    if (typeof value !== "string" || containsUnknown(value)) return false;
    const decoded = parsed(value);
    return typeof decoded !== "object" || decoded === null || Array.isArray(decoded);
  });
}

/** How many items of one host are read or written at once (the SSH pool runs 5 commands). */
const PARALLEL = 4;

async function eachLimited<T>(list: readonly T[], run: (value: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < list.length) await run(list[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, list.length) }, worker));
}

const emptyState = (connection: HostConnection): HostStateOutputs => ({
  connection,
  packages: { packages: [], installed: {} },
  directories: {},
  files: {},
  secretFiles: {},
  units: {},
});

/** Deepest first, so a directory is removed after what it holds. */
const deepestFirst = (paths: string[]) => [...paths].sort().reverse();

/** The writeId of every file, plain or secret. */
const writeIds = (state: HostStateOutputs): Record<string, string> =>
  Object.fromEntries(
    Object.entries({ ...state.files, ...state.secretFiles }).map(([path, file]) => [path, file.writeId]),
  );

/**
 * JSON with every object's keys sorted (the same items give the same text, whatever order they
 * were read in), leaving out the keys named in `omit`.
 */
const canonicalJson = (value: unknown, omit: readonly string[] = []) =>
  JSON.stringify(value, (key, v) => {
    if (omit.includes(key)) return undefined;
    return v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v;
  });

/**
 * The items of a state, without the connection and the marks: what changes when something was
 * done. The engine hands an update its old state with the serialized provider in `__provider`,
 * which is no item either (in the digest, it made every update's digest differ from the next read's).
 */
const itemsOf = ({
  connection: _connection,
  unreadable: _unreadable,
  converged: _converged,
  ...items
}: HostStateOutputs) => {
  delete (items as { __provider?: unknown }).__provider;
  return items;
};

/**
 * What a unit's state observes that changes while nothing on the host does (a timer between runs,
 * a oneshot starting, a static unit's file state known only once read): `active` and `enabled`
 * say what matters, so these stay out of the digest.
 */
const PASSING_OBSERVATIONS = ["activeState", "subState", "unitFileState"];

/** The state with its {@link HostStateOutputs.converged} digest. */
const withDigest = (state: HostStateOutputs): HostStateOutputs => ({
  ...state,
  converged: sha256Hex(canonicalJson(itemsOf(state), PASSING_OBSERVATIONS)),
});

/** What one snapshot must read to observe every item of `props`. */
const snapshotRequest = (props: HostStateOutputs): SnapshotRequest => ({
  packages: props.packages.packages,
  paths: [...Object.keys(props.directories), ...Object.keys(props.files), ...Object.keys(props.secretFiles)],
  units: Object.keys(props.units),
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
  return state;
}

/**
 * An error that carries the state reached so far when something was done, so the engine records
 * it (a file written but its unit not yet restarted is restarted by the next `pulumi up`). When
 * nothing was done (say, the host was unreachable), the state stays as it was, connection included.
 */
function partialFailure(err: unknown, id: string, start: string, reached: HostStateOutputs, provider: unknown): Error {
  const failure = err instanceof Error ? err : new Error(String(err));
  if (canonicalJson(itemsOf(reached)) === start) return failure;
  return Object.assign(failure, {
    id,
    properties: { ...withDigest(reached), __provider: provider },
    reasons: [failure.message],
  });
}

/** Converges the host from `previous` (refreshed state; empty on create) to `news`. */
async function converge(
  id: string,
  previous: HostStateOutputs | undefined,
  news: HostStateInputs & { __provider?: unknown },
): Promise<HostStateOutputs> {
  const { connection } = news;
  const state: HostStateOutputs = { ...structuredClone(itemsOf(previous ?? emptyState(connection))), connection };
  const start = canonicalJson(itemsOf(state));
  try {
    if (!previous || (await item.packages.differ(connection, state.packages, news.packages))) {
      state.packages = await item.packages.apply(connection, news.packages);
    }
    // Units no longer declared go first: one may hold a port a new one needs.
    for (const name of unitApplyOrder(state.units).reverse()) {
      if (news.units[name]) continue;
      await item.units.remove(connection, name, state.units[name]);
      delete state.units[name];
    }
    for (const path of Object.keys(news.directories).sort()) {
      const old = state.directories[path];
      if (old && (await item.directories.differing(connection, path, old, news.directories[path])).length === 0)
        continue;
      state.directories[path] = await item.directories.apply(connection, path, news.directories[path]);
    }
    for (const kind of ["files", "secretFiles"] as const) {
      await eachLimited(Object.keys(news[kind]).sort(), async (path) => {
        const old = state[kind][path];
        if (old && (await item.files.differing(connection, path, old, news[kind][path])).length === 0) return;
        state[kind][path] = await item.files.apply(connection, path, news[kind][path], old);
      });
      for (const path of Object.keys(state[kind])) {
        if (news[kind][path]) continue;
        // A file that only became secret (or plain) stays on the host.
        if (!news.files[path] && !news.secretFiles[path]) await item.files.remove(connection, path, state[kind][path]);
        delete state[kind][path];
      }
    }
    for (const path of deepestFirst(Object.keys(state.directories))) {
      if (news.directories[path]) continue;
      await item.directories.remove(connection, path, state.directories[path]);
      delete state.directories[path];
    }
    const written = writeIds(state);
    for (const name of unitApplyOrder(news.units)) {
      const unit = news.units[name];
      const installed = state.units[name];
      // Known before it is tried: a unit whose first start fails is still in the state
      // recorded, so the next apply converges it, or removes it if no longer declared.
      if (!installed) state.units[name] = item.units.attempted(unit);
      state.units[name] = await item.units.apply(
        connection,
        name,
        unit,
        unit.restartOn.map((path) => written[path] ?? ""),
        installed,
      );
    }
    return withDigest(state);
  } catch (err) {
    throw partialFailure(err, id, start, state, news.__provider);
  }
}

/** The HostState provider. Exported for tests, which drive it the way the engine does. */
export const hostStateProvider = {
  async check(_olds: HostStateInputs, news: HostStateInputs): Promise<dynamic.CheckResult<HostStateInputs>> {
    const broken = notJson(news as unknown as Record<string, unknown>);
    const failures = [
      ...connectionCheckFailures(news.connection),
      ...broken.map((key) => ({ property: key, reason: "must be the JSON text of an object" })),
      ...(broken.length > 0 ? [] : hostStateProblems(decodeInputs(news))),
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
    await compare("directory", olds.directories, news.directories, (path, s, i) =>
      item.directories.differing(connection, path, s, i),
    );
    const oldFiles = { ...olds.files, ...olds.secretFiles };
    await compare("file", oldFiles, { ...news.files, ...news.secretFiles }, (path, s, i) =>
      item.files.differing(connection, path, s, i),
    );
    // A unit restarts when a file it reads will be written, or was written by an apply that
    // failed before reaching the unit (its triggers then lag behind the files' writeIds).
    const written = writeIds(olds);
    await compare("unit", olds.units, news.units, async (name, s, i) => {
      const found = await item.units.differing(connection, name, s, i);
      const pending =
        JSON.stringify(i.restartOn.map((path) => written[path] ?? "")) !== JSON.stringify(s.triggers ?? []);
      return pending || i.restartOn.some((path) => changedFiles.has(path)) ? [...found, "restart"] : found;
    });
    return hostDiff(replaces, differing);
  },

  async create(inputs: HostStateInputs): Promise<dynamic.CreateResult<HostStateOutputs>> {
    const id = `${inputs.connection.host}:state`;
    return { id, outs: await converge(id, undefined, decodeInputs(inputs)) };
  },

  /**
   * What the host has of each item. A host that cannot be read (a HostError: unreachable, login
   * refused, wrong host key...) keeps its last known state, marked {@link HostStateOutputs.unreadable}.
   */
  async read(id: string, props: HostStateOutputs): Promise<dynamic.ReadResult<HostStateOutputs>> {
    const connection = storedConnection("HostState", id, props);
    try {
      return { id, props: withDigest(await readHost({ ...props, connection })) };
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
    return { outs: await converge(id, current, decoded) };
  },

  /** Removes the units, then the files, then the directories that are left empty. */
  async delete(id: string, props: HostStateOutputs): Promise<void> {
    const connection = storedConnection("HostState", id, props);
    for (const name of unitApplyOrder(props.units).reverse())
      await item.units.remove(connection, name, props.units[name]);
    for (const [path, file] of Object.entries({ ...props.files, ...props.secretFiles }))
      await item.files.remove(connection, path, file);
    for (const path of deepestFirst(Object.keys(props.directories)))
      await item.directories.remove(connection, path, props.directories[path]);
  },
};
