/**
 * A directory on a fleet host, read back on every refresh (a wiped host shows it missing).
 */
import { EntryResource, providerEntryText } from "./provider-entry";
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { describeHost, HostConnection } from "../transport/connection";
import {
  connectionCheckFailures,
  connectionDiff,
  containsUnknown,
  hostDiff,
  HostDiffResult,
  storedConnection,
} from "./provider-support";
import {
  ensureDirectory,
  fixMetadata,
  metadataMatches,
  PathMetadata,
  readPathState,
  type PathState,
  removeDirectoryIfEmpty,
  observedMetadata,
  withPathDefaults,
  wrongTypeError,
} from "../transport/remote-path";
import {
  connectionInput,
  HOST_RESOURCE_MODULE,
  HostConnectionInputs,
  plainValue,
  throwIfProblems,
} from "./resource-support";
import { describeProblems, pathMetadataProblems, Problem } from "./validation";

/** What the provider receives. */
export interface DirectoryInputs extends PathMetadata {
  connection: HostConnection;
  path: string;
}

/** What state holds: after a read, what the host really has. */
export interface DirectoryOutputs extends DirectoryInputs {
  /** What the path holds: "directory" when in shape. */
  fileType: string;
}

/** Defaults for what the caller left out. */
export const DIRECTORY_DEFAULTS: PathMetadata = { mode: "0755", owner: "root", group: "root" };

/** Problems with a Directory's inputs (unknown values are skipped). */
export function directoryProblems(inputs: Partial<Record<keyof DirectoryInputs, unknown>>): Problem[] {
  return pathMetadataProblems(inputs);
}

function withDefaults(inputs: DirectoryInputs): DirectoryInputs {
  return withPathDefaults(inputs, DIRECTORY_DEFAULTS);
}

async function converge(rawInputs: DirectoryInputs): Promise<DirectoryOutputs> {
  const inputs = withDefaults(rawInputs);
  const { connection, path } = inputs;
  const state = await readPathState(connection, path);
  if (state.exists && state.type !== "directory") throw wrongTypeError(connection, path, state.type, "directory");
  if (!state.exists) await ensureDirectory(connection, path, inputs);
  else if (!metadataMatches(state, inputs)) await fixMetadata(connection, path, inputs);
  return { connection, path, mode: inputs.mode, owner: inputs.owner, group: inputs.group, fileType: "directory" };
}

/** What state holds for a directory whose path was read; undefined when the path is gone. */
export function observedDirectory(props: DirectoryOutputs, state: PathState): DirectoryOutputs | undefined {
  if (!state.exists) return undefined;
  return {
    connection: props.connection,
    path: props.path,
    fileType: state.type,
    ...observedMetadata(props, state),
  };
}

/** The Directory provider. Exported for tests, which drive it the way the engine does. */
export const directoryProvider = {
  async check(_olds: DirectoryInputs, news: DirectoryInputs): Promise<dynamic.CheckResult<DirectoryInputs>> {
    const failures = [...connectionCheckFailures(news.connection), ...directoryProblems(news)];
    return { inputs: containsUnknown(news.mode) ? news : withDefaults(news), failures };
  },

  async diff(_id: string, olds: DirectoryOutputs, rawNews: DirectoryInputs): Promise<HostDiffResult> {
    const news = withDefaults(rawNews);
    const { replaces, differing } = connectionDiff(olds.connection, news.connection);
    if (news.path !== olds.path) (containsUnknown(news.path) ? differing : replaces).push("path");
    if (olds.fileType !== "directory") differing.push("fileType");
    for (const key of ["mode", "owner", "group"] as const) if (news[key] !== olds[key]) differing.push(key);
    return hostDiff(replaces, differing);
  },

  async create(inputs: DirectoryInputs): Promise<dynamic.CreateResult<DirectoryOutputs>> {
    return { id: `${inputs.connection.host}:${inputs.path}`, outs: await converge(inputs) };
  },

  async read(id: string, props: DirectoryOutputs): Promise<dynamic.ReadResult<DirectoryOutputs>> {
    const connection = storedConnection("Directory", id, props);
    const observed = observedDirectory({ ...props, connection }, await readPathState(connection, props.path));
    return observed ? { id, props: observed } : { id: "", props: {} as DirectoryOutputs };
  },

  async update(
    _id: string,
    _olds: DirectoryOutputs,
    news: DirectoryInputs,
  ): Promise<dynamic.UpdateResult<DirectoryOutputs>> {
    return { outs: await converge(news) };
  },

  async delete(id: string, props: DirectoryOutputs): Promise<void> {
    const connection = storedConnection("Directory", id, props);
    if (!(await removeDirectoryIfEmpty(connection, props.path))) {
      // Not an error: the resource is gone from the program, the data nobody declared stays.
      process.stderr.write(`${describeHost(connection)}: kept ${props.path}: it still holds files nobody declared\n`);
    }
  },
};

/** Arguments of a {@link Directory}. */
export interface DirectoryArgs {
  /** How to reach the host. */
  connection: pulumi.Input<HostConnectionInputs>;
  /** Absolute path on the host. Missing parents are created (root, 0755). */
  path: pulumi.Input<string>;
  /** Permission bits, octal. Default "0755". */
  mode?: pulumi.Input<string>;
  /** Owner, a user name or uid. Default "root". */
  owner?: pulumi.Input<string>;
  /** Group, a group name or gid. Default "root". */
  group?: pulumi.Input<string>;
}

/** What each resource carries as its provider: a loader of directoryProvider (see ./provider-entry.ts). */
export const directoryEntry = providerEntryText("src/host/resources/directory", "directoryProvider", directoryProvider);

/**
 * A managed directory (`pulumi-nodejs:dynamic/lyra-host:Directory`, id "<host>:<path>").
 * Deleting the resource removes the directory only if it is empty: files nobody declared (a
 * cache, logs) are never thrown away.
 */
export class Directory extends EntryResource {
  /** The connection used (secret when it holds a private key). */
  declare readonly connection: pulumi.Output<HostConnection>;
  /** Absolute path on the host. */
  declare readonly path: pulumi.Output<string>;
  /** Permission bits, four octal digits. */
  declare readonly mode: pulumi.Output<string>;
  /** Owner. */
  declare readonly owner: pulumi.Output<string>;
  /** Group. */
  declare readonly group: pulumi.Output<string>;
  /** "directory", or after a refresh what stands at the path instead. */
  declare readonly fileType: pulumi.Output<string>;

  constructor(name: string, args: DirectoryArgs, opts: pulumi.CustomResourceOptions = {}) {
    throwIfProblems(
      "Directory",
      name,
      describeProblems(
        directoryProblems({
          path: plainValue(args.path),
          mode: plainValue(args.mode),
          owner: plainValue(args.owner),
          group: plainValue(args.group),
        }),
      ),
    );
    super(
      directoryEntry,
      name,
      {
        connection: connectionInput(args.connection),
        path: args.path,
        mode: args.mode ?? DIRECTORY_DEFAULTS.mode,
        owner: args.owner ?? DIRECTORY_DEFAULTS.owner,
        group: args.group ?? DIRECTORY_DEFAULTS.group,
        fileType: undefined,
      },
      opts,
      HOST_RESOURCE_MODULE,
      "Directory",
    );
  }
}
