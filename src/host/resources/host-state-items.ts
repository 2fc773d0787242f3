/**
 * The items of a {@link HostState} (packages, directories, files, units): how each kind is read
 * and compared, through the single-item providers (File, Directory, SystemdUnit, AptPackages), so
 * a host is seen exactly as those tested providers see it. Reads take what one snapshot of the
 * host saw (./host-snapshot.ts) through the providers' pure `observed*` functions; converging is
 * ./host-state-converge.ts. Item state is kept without the connection, which only the HostState
 * holds (once, and secret).
 */
import type { HostConnection } from "../transport/connection";
import {
  type ArtifactItem,
  type ArtifactState,
  artifactDiffering,
  artifactOnHost,
  observedArtifact,
} from "./artifacts";
import {
  aptPackagesProvider,
  DEFAULT_APT_TIMEOUT_SECONDS,
  observedPackages,
  type AptPackagesOutputs,
} from "./apt-packages";
import { directoryProvider, observedDirectory, type DirectoryOutputs } from "./directory";
import { fileProvider, observedFile, type FileOutputs } from "./file-provider";
import type { HostSnapshot } from "./host-snapshot";
import type { PathMetadata } from "../transport/remote-path";
import { sha256Hex } from "../transport/remote-path";
import {
  observedUnitOutputs,
  systemdUnitProvider,
  type SystemdUnitInputs,
  type SystemdUnitOutputs,
} from "./systemd-unit-provider";
import { SYSTEMD_UNIT_DEFAULTS } from "./systemd-unit-provider";

export type { ArtifactItem, ArtifactState } from "./artifacts";

/** A declared file: its whole content and its metadata. */
export interface FileItem extends PathMetadata {
  content: string;
}

/** A declared systemd unit. */
export interface UnitItem {
  /** Unit file text, or null for a unit its Debian package ships. */
  content: string | null;
  /** Drop-in text for a packaged unit, if any. */
  dropIn?: string;
  enabled: boolean;
  active: boolean;
  /** Units of the same host converged before this one (what its After=/Requires= name). */
  after: string[];
  /**
   * Paths of declared files whose every write restarts this unit, and install directories of
   * declared artifacts whose every install restarts it.
   */
  restartOn: string[];
}

export type DirectoryState = Omit<DirectoryOutputs, "connection" | "path">;
export type FileState = Omit<FileOutputs, "connection" | "path">;
export type UnitState = Omit<SystemdUnitOutputs, "connection" | "name"> & Pick<UnitItem, "after" | "restartOn">;
export type PackagesState = Pick<AptPackagesOutputs, "packages" | "installed">;

export const directories = {
  read(
    connection: HostConnection,
    path: string,
    state: DirectoryState,
    host: HostSnapshot,
  ): DirectoryState | undefined {
    const observed = observedDirectory({ ...state, connection, path }, host.paths[path]);
    return observed && strip(observed);
  },
  async differing(
    connection: HostConnection,
    path: string,
    state: DirectoryState,
    item: PathMetadata,
  ): Promise<string[]> {
    return (await directoryProvider.diff("", { ...state, connection, path }, { connection, path, ...item })).differing;
  },
};

const fileInputs = (connection: HostConnection, path: string, item: FileItem) => ({
  connection,
  path,
  content: item.content,
  sha256: sha256Hex(item.content),
  mode: item.mode,
  owner: item.owner,
  group: item.group,
});

export const files = {
  read(connection: HostConnection, path: string, state: FileState, host: HostSnapshot): FileState | undefined {
    const observed = observedFile({ ...state, connection, path }, host.paths[path]);
    return observed && strip(observed);
  },
  async differing(connection: HostConnection, path: string, state: FileState, item: FileItem): Promise<string[]> {
    return (await fileProvider.diff("", { ...state, connection, path }, fileInputs(connection, path, item))).differing;
  },
};

function unitInputs(connection: HostConnection, name: string, item: UnitItem, triggers: string[]): SystemdUnitInputs {
  return {
    connection,
    name,
    content: item.content,
    sha256: item.content === null ? "" : sha256Hex(item.content),
    dropIn: item.dropIn,
    dropInSha256: item.dropIn === undefined ? "" : sha256Hex(item.dropIn),
    enabled: item.enabled,
    active: item.active,
    triggers,
    startTimeoutSeconds: SYSTEMD_UNIT_DEFAULTS.startTimeoutSeconds,
  };
}

const withOrder = (
  state: Omit<SystemdUnitOutputs, "connection" | "name">,
  item: Pick<UnitItem, "after" | "restartOn">,
): UnitState => ({
  ...state,
  after: item.after,
  restartOn: item.restartOn,
});

export const units = {
  read(connection: HostConnection, name: string, state: UnitState, host: HostSnapshot): UnitState | undefined {
    const observed = observedUnitOutputs({ ...state, connection, name }, host.units[name]);
    return observed && withOrder(strip(observed, "name"), state);
  },
  /** What differs, apart from restarts (the caller knows which trigger files change). */
  async differing(connection: HostConnection, name: string, state: UnitState, item: UnitItem): Promise<string[]> {
    const diff = await systemdUnitProvider.diff(
      "",
      { ...state, connection, name },
      unitInputs(connection, name, item, state.triggers),
    );
    return diff.differing;
  },
  /** The state of a unit being installed for the first time, before anything is known of it. */
  attempted(item: UnitItem): UnitState {
    return withOrder(
      {
        ownsUnitFile: item.content !== null,
        sha256: "",
        dropInSha256: "",
        enabled: item.enabled,
        active: item.active,
        triggers: [],
        startTimeoutSeconds: SYSTEMD_UNIT_DEFAULTS.startTimeoutSeconds,
        activeState: "unknown",
        subState: "unknown",
        unitFileState: "unknown",
        needsDaemonReload: false,
      },
      item,
    );
  },
};

const aptInputs = (connection: HostConnection, packages: string[], proxy?: string) => ({
  connection,
  packages,
  timeoutSeconds: DEFAULT_APT_TIMEOUT_SECONDS,
  ...(proxy !== undefined && { proxy }),
});

export const packages = {
  read(connection: HostConnection, state: PackagesState, host: HostSnapshot): PackagesState {
    if (state.packages.length === 0) return state;
    const observed = observedPackages(
      { ...aptInputs(connection, state.packages), installed: state.installed },
      host.installed,
    );
    return { packages: state.packages, installed: observed?.installed ?? {} };
  },
  async differ(connection: HostConnection, state: PackagesState, wanted: string[]): Promise<boolean> {
    const diff = await aptPackagesProvider.diff(
      "",
      { ...aptInputs(connection, state.packages), installed: state.installed },
      aptInputs(connection, wanted),
    );
    return diff.differing.includes("packages");
  },
  /** Installs what is missing (through `proxy` when given); removes nothing (see AptPackages' delete). */
  async apply(connection: HostConnection, wanted: string[], proxy?: string): Promise<PackagesState> {
    if (wanted.length === 0) return { packages: [], installed: {} };
    const outs = (await aptPackagesProvider.create(aptInputs(connection, wanted, proxy))).outs!;
    return { packages: outs.packages, installed: outs.installed };
  },
};

export const artifacts = {
  /** What the host has of a recorded artifact (its marker and `current`, as one snapshot saw them). */
  read(state: ArtifactState, host: HostSnapshot): ArtifactState {
    return observedArtifact(state, host.artifacts[state.installDir]);
  },
  differing(state: ArtifactState | undefined, wanted: ArtifactItem): string[] {
    return artifactDiffering(state, wanted);
  },
  /** What an apply must do: nothing, make the build already on disk current, or install it. */
  action(wanted: ArtifactItem, host: HostSnapshot): "none" | "activate" | "install" {
    const { present, current } = artifactOnHost(wanted, host.artifacts[wanted.installDir]);
    return current ? "none" : present ? "activate" : "install";
  },
  /** The state of an artifact once it is in place. */
  installed(wanted: ArtifactItem): ArtifactState {
    return { version: wanted.version, sha256: wanted.sha256, installed: true, installDir: wanted.installDir };
  },
};

/** An item's outputs without the connection and its key (the path, or the unit name). */
function strip<T extends { connection: HostConnection }>(outputs: T, key: "path" | "name" = "path"): any {
  const { connection: _connection, [key]: _key, ...rest } = outputs as any;
  return rest;
}
