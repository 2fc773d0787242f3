/**
 * A file on a fleet host, read back on every refresh: a hand edit, a changed mode or a deleted
 * file shows up in `pulumi preview` and is repaired by `pulumi up`.
 */
import { EntryResource, providerEntryText } from "./provider-entry";
import * as pulumi from "@pulumi/pulumi";
import type { HostConnection } from "../transport/connection";
import { FILE_DEFAULTS, fileProblems, fileProvider } from "./file-provider";
import {
  connectionInput,
  contentSha256,
  HOST_RESOURCE_MODULE,
  HostConnectionInputs,
  plainValue,
  throwIfProblems,
} from "./resource-support";
import { describeProblems } from "./validation";

/** Arguments of a {@link File}. */
export interface FileArgs {
  /** How to reach the host. */
  connection: pulumi.Input<HostConnectionInputs>;
  /** Absolute path on the host. Missing parent directories are created (root, 0755). */
  path: pulumi.Input<string>;
  /**
   * The whole content, UTF-8. May be a secret: it then stays encrypted in state, travels to the
   * host on stdin only, and appears in no message; outputs hold only its sha256 (secret too).
   */
  content: pulumi.Input<string>;
  /** Permission bits, octal. Default "0644". */
  mode?: pulumi.Input<string>;
  /** Owner, a user name or uid. Default "root". */
  owner?: pulumi.Input<string>;
  /** Group, a group name or gid. Default "root". */
  group?: pulumi.Input<string>;
}

/** What each resource carries as its provider: a loader of fileProvider (see ./provider-entry.ts). */
export const fileEntry = providerEntryText("src/host/resources/file-provider", "fileProvider", fileProvider);

/**
 * A managed file. Its type token is `pulumi-nodejs:dynamic/lyra-host:File`; its id is
 * "<host>:<path>". Deleting the resource deletes the file (use the `retainOnDelete` resource
 * option to keep it).
 */
export class File extends EntryResource {
  /** The connection used (secret when it holds a private key). */
  declare readonly connection: pulumi.Output<HostConnection>;
  /** Absolute path on the host. */
  declare readonly path: pulumi.Output<string>;
  /** sha256 of the content (what the host has after a refresh); secret when the content is. */
  declare readonly sha256: pulumi.Output<string>;
  /** Permission bits, four octal digits. */
  declare readonly mode: pulumi.Output<string>;
  /** Owner. */
  declare readonly owner: pulumi.Output<string>;
  /** Group. */
  declare readonly group: pulumi.Output<string>;
  /** "file", or after a refresh what stands at the path instead ("symlink", "directory", "other"). */
  declare readonly fileType: pulumi.Output<string>;
  /**
   * Changes whenever the provider actually writes the content (a change, or the repair of a
   * hand edit or a wiped host), and only then: what units restart on, so a repaired config is
   * also loaded. Unknown in a preview that will write the file.
   */
  declare readonly writeId: pulumi.Output<string>;

  constructor(name: string, args: FileArgs, opts: pulumi.CustomResourceOptions = {}) {
    throwIfProblems(
      "File",
      name,
      describeProblems(
        fileProblems({
          path: plainValue(args.path),
          mode: plainValue(args.mode),
          owner: plainValue(args.owner),
          group: plainValue(args.group),
        }),
      ),
    );
    super(
      fileEntry,
      name,
      {
        connection: connectionInput(args.connection),
        path: args.path,
        content: args.content,
        sha256: contentSha256(args.content),
        mode: args.mode ?? FILE_DEFAULTS.mode,
        owner: args.owner ?? FILE_DEFAULTS.owner,
        group: args.group ?? FILE_DEFAULTS.group,
        fileType: undefined,
        writeId: undefined,
      },
      opts,
      HOST_RESOURCE_MODULE,
      "File",
    );
  }
}
