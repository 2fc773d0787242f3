/**
 * Everything one fleet host must have (packages, artifacts, directories, files, systemd units) as one
 * drift-aware resource, read back on every refresh: a hand edit, a stopped unit or a wiped host
 * shows up in `pulumi preview` and is repaired by `pulumi up`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ArtifactItem, FileItem, UnitItem } from "./host-state-items";
import { hostStateProvider, type HostStateItemsText } from "./host-state-provider";
import { EntryResource, providerEntryText } from "./provider-entry";
import { hostStateProblems } from "./host-state-validation";
import type { PathMetadata } from "../transport/remote-path";
import { UNKNOWN } from "./provider-support";
import {
  connectionInput,
  GATE_TIMEOUT_MS,
  HOST_RESOURCE_MODULE,
  HostConnectionInputs,
  throwIfProblems,
} from "./resource-support";
import { describeProblems } from "./validation";

export type { ArtifactItem, FileItem, UnitItem } from "./host-state-items";

/** Arguments of a {@link HostState}. Items are plain data, except the secret files. */
export interface HostStateArgs {
  /** How to reach the host. */
  connection: pulumi.Input<HostConnectionInputs>;
  /** Debian packages to install first ("name" or "name=version"), sorted. */
  packages: string[];
  /** Directories by absolute path; missing parents of files are created root-owned 0755. */
  directories: Record<string, PathMetadata>;
  /** Files by absolute path, content in plain text. */
  files: Record<string, FileItem>;
  /**
   * Files whose content holds secrets, by path, as one secret output: they stay encrypted in
   * state, travel to the host on stdin only, and appear in no message.
   */
  secretFiles?: pulumi.Output<Record<string, FileItem>>;
  /** Systemd units by name ("qdrant.service"). */
  units: Record<string, UnitItem>;
  /**
   * Apps from pinned .tar.gz files by key ("qdrant"), installed after the packages (which must
   * include curl) and before the files. A unit that lists an artifact's installDir in its
   * `restartOn` restarts once when it is installed.
   */
  artifacts?: Record<string, ArtifactItem>;
  /**
   * The HTTP proxy every apt-get run goes through ("http://nas.home.arpa:3142", a package cache),
   * given on apt-get's command line: a re-flashed host's first install uses it too.
   */
  aptProxy?: string;
  /**
   * A health gate the state runs after each apply, for a host whose state is everything it has:
   * the script, and what re-runs it besides any change of the host (what it waits for elsewhere).
   * A failing gate fails the apply, and the next `pulumi up` runs it again.
   */
  gate?: { script: string; triggers: pulumi.Input<string>[]; timeoutMs?: number };
}

/** What each resource carries as its provider: a loader of hostStateProvider (see ./provider-entry.ts). */
export const hostStateEntry = providerEntryText(
  "src/host/resources/host-state-provider",
  "hostStateProvider",
  hostStateProvider,
);

/**
 * A host's declared state. Its type token is `pulumi-nodejs:dynamic/lyra-host:HostState`, its id
 * "<host>:state". Deleting it removes its units, files and emptied directories (not packages).
 *
 * Its inputs are three: the connection, the plain `items` (packages, directories, files, units) as
 * one JSON text, and `secretFiles` as another (secret); a fourth, `gate`, when it has one. Pulumi's
 * SDK spends a promise on every nested value and several on every property it serializes, which
 * made a host's items cost more than the rest of the program; the CLI decodes JSON text in
 * `pulumi preview --diff`, so the diff still shows item by item. The state (outputs) holds each
 * item as the host has it; the program reads back `converged` only (./output-properties.ts).
 */
export class HostState extends EntryResource {
  /** A digest of the host's items as last applied or read: it changes exactly when the host changed. */
  declare readonly converged: pulumi.Output<string>;

  constructor(name: string, args: HostStateArgs, opts: pulumi.CustomResourceOptions = {}) {
    throwIfProblems(
      "HostState",
      name,
      describeProblems(hostStateProblems({ ...args, secretFiles: args.secretFiles ? (UNKNOWN as never) : {} })),
    );
    const items: HostStateItemsText = {
      packages: args.packages,
      directories: args.directories,
      files: args.files,
      units: args.units,
      artifacts: args.artifacts ?? {},
      // Only when set: the items text of a host without a proxy stays as it was.
      ...(args.aptProxy !== undefined && { aptProxy: args.aptProxy }),
    };
    super(
      hostStateEntry,
      name,
      {
        connection: connectionInput(args.connection),
        items: JSON.stringify(items),
        secretFiles: args.secretFiles ? pulumi.secret(args.secretFiles.apply((files) => JSON.stringify(files))) : "{}",
        // A key only when given: the SDK spends an output on every key, even one never sent.
        ...(args.gate && {
          gate: {
            script: args.gate.script,
            triggers: args.gate.triggers,
            timeoutMs: args.gate.timeoutMs ?? GATE_TIMEOUT_MS,
          },
        }),
        converged: undefined,
      },
      { ...opts, additionalSecretOutputs: ["secretFiles", ...(opts.additionalSecretOutputs ?? [])] },
      HOST_RESOURCE_MODULE,
      "HostState",
      ["converged"],
    );
  }
}
