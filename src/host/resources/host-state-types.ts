/**
 * The shapes of a {@link HostState}: what its provider receives, and what its state holds.
 */
import type { HostConnection } from "../transport/connection";
import type {
  ArtifactItem,
  ArtifactState,
  DirectoryState,
  FileItem,
  FileState,
  PackagesState,
  UnitItem,
  UnitState,
} from "./host-state-items";
import type { PathMetadata } from "../transport/remote-path";

/**
 * A health gate the state runs itself, after every apply (create or update) of the host: for a host
 * whose state is everything it has (no containers) and that no other host waits for, so that the
 * gate costs no resource of its own.
 */
export interface HostGate {
  /** A shell script that exits 0 when the host is healthy; it polls up to its own deadline. */
  script: string;
  /**
   * The host is applied again, and its gate run, whenever one of these changes (what the gate
   * waits for on other hosts: the broker's host), as well as whenever the host itself differs.
   */
  triggers: string[];
  /** Deadline of one run, in ms. */
  timeoutMs: number;
}

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
  /**
   * Apps installed from pinned .tar.gz files, by key ("qdrant"). Installed after the packages and
   * before the files; a unit listing an artifact's installDir in `restartOn` restarts once when
   * it is installed.
   */
  artifacts: Record<string, ArtifactItem>;
  /**
   * The HTTP proxy every apt-get run of the host goes through (a package cache on the NAS), given
   * on apt-get's command line, so the first install on a re-flashed host uses it before any
   * apt.conf file does. How packages arrive, not what the host has: it is not in state or diff.
   */
  aptProxy?: string;
  /** The health gate run after every apply, if any. */
  gate?: HostGate;
}

/** What `items` holds, as JSON text. */
export type HostStateItemsText = Pick<
  HostStateInputs,
  "packages" | "directories" | "files" | "units" | "artifacts" | "aptProxy"
>;

/** What state holds: after a read, what the host really has. Never a file's content. */
export interface HostStateOutputs {
  connection: HostConnection;
  packages: PackagesState;
  directories: Record<string, DirectoryState>;
  files: Record<string, FileState>;
  secretFiles: Record<string, FileState>;
  units: Record<string, UnitState>;
  /**
   * By key. Absent in state written before artifacts existed (read as none); left out of the
   * digest while empty, so that state's digest does not change.
   */
  artifacts?: Record<string, ArtifactState>;
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
  /**
   * The gate as it last passed. Absent when none is declared, or when the gate failed after the
   * host was last applied: the next `pulumi up` applies the host again and runs it. Not an item:
   * it is not in the digest.
   */
  gate?: HostGate;
}
