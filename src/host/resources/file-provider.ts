/**
 * The dynamic provider behind {@link File}: reads the real file on the host, compares by sha256,
 * writes atomically and only when something differs.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { HostConnection } from "../transport/connection";
import {
  connectionCheckFailures,
  connectionDiff,
  containsUnknown,
  hostDiff,
  HostDiffResult,
  storedConnection,
} from "./provider-support";
import {
  fixMetadata,
  metadataMatches,
  PathMetadata,
  PathState,
  readPathState,
  removeFile,
  observedMetadata,
  sha256Hex,
  withPathDefaults,
  writeFileAtomically,
  wrongTypeError,
} from "../transport/remote-path";
import { pathMetadataProblems, Problem, textProblems } from "./validation";

/** What the provider receives: every input resolved, the content in plain text even when secret. */
export interface FileInputs extends PathMetadata {
  connection: HostConnection;
  path: string;
  content: string;
  /** sha256 of `content`, computed by the resource class. */
  sha256: string;
}

/** What state holds for a File: after a read, what the host really has. Never the content. */
export interface FileOutputs extends PathMetadata {
  connection: HostConnection;
  path: string;
  /** sha256 of the file's content on the host ("" when the path is not a regular file). */
  sha256: string;
  /** What the path holds: "file" when in shape; "symlink", "directory" or "other" is drift. */
  fileType: string;
  /** New on every content write, kept otherwise (see File.writeId). */
  writeId: string;
}

/** Defaults for what the caller left out. */
export const FILE_DEFAULTS: PathMetadata = { mode: "0644", owner: "root", group: "root" };

/** Problems with a File's inputs (unknown values are skipped). */
export function fileProblems(inputs: Partial<Record<keyof FileInputs, unknown>>): Problem[] {
  return [...pathMetadataProblems(inputs), ...textProblems("content", inputs.content)];
}

function withDefaults(inputs: FileInputs): FileInputs {
  return withPathDefaults(inputs, FILE_DEFAULTS);
}

/** What state holds for a file whose path was read; undefined when the path is gone. */
export function observedFile(previous: FileOutputs, state: PathState): FileOutputs | undefined {
  if (!state.exists) return undefined;
  return {
    writeId: previous.writeId,
    connection: previous.connection,
    path: previous.path,
    sha256: state.sha256,
    fileType: state.type,
    ...observedMetadata(previous, state),
  };
}

/** Identifies one write: time plus randomness, so two writes in the same millisecond differ. */
export function newWriteId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Makes the host's file match the inputs, writing only what differs; returns the new outputs,
 * whose writeId is new when the content was written and `previousWriteId` otherwise.
 */
async function converge(rawInputs: FileInputs, previousWriteId?: string): Promise<FileOutputs> {
  const inputs = withDefaults(rawInputs);
  const { connection, path, content } = inputs;
  const state = await readPathState(connection, path);
  if (state.exists && (state.type === "directory" || state.type === "other")) {
    throw wrongTypeError(connection, path, state.type, "regular file");
  }
  // Our own hash, not the input's: the bytes written are what must match.
  const sha256 = sha256Hex(content);
  let writeId = previousWriteId ?? newWriteId();
  if (!state.exists || state.type !== "file" || state.sha256 !== sha256) {
    await writeFileAtomically(connection, path, content, inputs);
    writeId = newWriteId();
  } else if (!metadataMatches(state, inputs)) {
    await fixMetadata(connection, path, inputs);
  }
  return {
    writeId,
    connection,
    path,
    sha256,
    fileType: "file",
    mode: inputs.mode,
    owner: inputs.owner,
    group: inputs.group,
  };
}

/** The File provider. Exported for tests, which drive it the way the engine does. */
export const fileProvider = {
  async check(_olds: FileInputs, news: FileInputs): Promise<dynamic.CheckResult<FileInputs>> {
    const failures = [...connectionCheckFailures(news.connection), ...fileProblems(news)];
    return { inputs: containsUnknown(news.mode) ? news : withDefaults(news), failures };
  },

  async diff(_id: string, olds: FileOutputs, rawNews: FileInputs): Promise<HostDiffResult> {
    const news = withDefaults(rawNews);
    const { replaces, differing } = connectionDiff(olds.connection, news.connection);
    if (news.path !== olds.path) (containsUnknown(news.path) ? differing : replaces).push("path");
    if (news.sha256 !== olds.sha256) differing.push("content");
    if (news.mode !== olds.mode) differing.push("mode");
    if (news.owner !== olds.owner) differing.push("owner");
    if (news.group !== olds.group) differing.push("group");
    return hostDiff(replaces, differing);
  },

  async create(inputs: FileInputs): Promise<dynamic.CreateResult<FileOutputs>> {
    const outs = await converge(inputs);
    return { id: `${inputs.connection.host}:${inputs.path}`, outs };
  },

  async read(id: string, props: FileOutputs): Promise<dynamic.ReadResult<FileOutputs>> {
    const connection = storedConnection("File", id, props);
    const observed = observedFile(props, await readPathState(connection, props.path));
    // Gone: an empty id tells the engine so, and the next `pulumi up` creates it again.
    return observed ? { id, props: observed } : { id: "", props: {} as FileOutputs };
  },

  async update(_id: string, olds: FileOutputs, news: FileInputs): Promise<dynamic.UpdateResult<FileOutputs>> {
    return { outs: await converge(news, olds.writeId) };
  },

  async delete(id: string, props: FileOutputs): Promise<void> {
    await removeFile(storedConnection("File", id, props), props.path);
  },
};
