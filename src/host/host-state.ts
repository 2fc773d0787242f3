/**
 * Everything one fleet host must have (packages, directories, files, systemd units) as one
 * drift-aware resource, read back on every refresh: a hand edit, a stopped unit or a wiped host
 * shows up in `pulumi preview` and is repaired by `pulumi up`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostConnection } from "./connection";
import type { DirectoryState, FileItem, FileState, PackagesState, UnitItem, UnitState } from "./host-state-items";
import { hostStateProvider } from "./host-state-provider";
import { hostStateProblems } from "./host-state-validation";
import type { PathMetadata } from "./remote-path";
import { UNKNOWN } from "./provider-support";
import { connectionInput, HOST_RESOURCE_MODULE, HostConnectionInputs, throwIfProblems } from "./resource-support";
import { describeProblems } from "./validation";

export type { FileItem, UnitItem } from "./host-state-items";

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
}

/**
 * A host's declared state. Its type token is `pulumi-nodejs:dynamic/lyra-host:HostState`, its id
 * "<host>:state". Deleting it removes its units, files and emptied directories (not packages).
 */
export class HostState extends pulumi.dynamic.Resource {
    /** The connection used (secret when it holds a private key). */
    declare readonly connection: pulumi.Output<HostConnection>;
    /** The packages asked for and the versions the host has. */
    declare readonly packages: pulumi.Output<PackagesState>;
    /** Each directory as the host has it. */
    declare readonly directories: pulumi.Output<Record<string, DirectoryState>>;
    /** Each plain file as the host has it: sha256, metadata, and the writeId of its last write. */
    declare readonly files: pulumi.Output<Record<string, FileState>>;
    /** The same for the secret files (secret). */
    declare readonly secretFiles: pulumi.Output<Record<string, FileState>>;
    /** Each unit as systemd reports it. */
    declare readonly units: pulumi.Output<Record<string, UnitState>>;

    constructor(name: string, args: HostStateArgs, opts: pulumi.CustomResourceOptions = {}) {
        throwIfProblems("HostState", name, describeProblems(hostStateProblems({ ...args, secretFiles: args.secretFiles ? (UNKNOWN as never) : {} })));
        super(
            hostStateProvider,
            name,
            {
                connection: connectionInput(args.connection),
                packages: args.packages,
                // Each kind as one JSON text: Pulumi serializes every nested value of an input
                // on its own, which made a host's items cost more than the rest of the program;
                // `pulumi preview --diff` decodes JSON text and shows the diff item by item.
                directories: JSON.stringify(args.directories),
                files: JSON.stringify(args.files),
                secretFiles: args.secretFiles ? pulumi.secret(args.secretFiles.apply((items) => JSON.stringify(items))) : "{}",
                units: JSON.stringify(args.units),
            },
            { ...opts, additionalSecretOutputs: ["secretFiles", ...(opts.additionalSecretOutputs ?? [])] },
            HOST_RESOURCE_MODULE,
            "HostState",
        );
    }
}
