/**
 * Resource inputs as the engine hands them to the providers: what the resource classes compute on
 * the program side (content hashes, defaults) is computed here the same way.
 */
import type { HostConnection } from "../../../src/host/transport/connection";
import { sha256Hex } from "../../../src/host/transport/remote-path";

/** Inputs of a File. */
export function fileInputs(
  connection: HostConnection,
  path: string,
  content: string,
  metadata: { mode?: string; owner?: string; group?: string } = {},
): Record<string, unknown> {
  return {
    connection,
    path,
    content,
    sha256: sha256Hex(content),
    mode: "0644",
    owner: "root",
    group: "root",
    ...metadata,
  };
}

/** Inputs of a Directory. */
export function directoryInputs(
  connection: HostConnection,
  path: string,
  metadata: { mode?: string; owner?: string; group?: string } = {},
): Record<string, unknown> {
  return { connection, path, mode: "0755", owner: "root", group: "root", ...metadata };
}

/** Inputs of a SystemdUnit. */
export function unitInputs(
  connection: HostConnection,
  name: string,
  content: string | null,
  options: {
    dropIn?: string;
    enabled?: boolean;
    active?: boolean;
    triggers?: string[];
    startTimeoutSeconds?: number;
  } = {},
): Record<string, unknown> {
  return {
    connection,
    name,
    content,
    sha256: content === null ? "" : sha256Hex(content),
    dropIn: options.dropIn,
    dropInSha256: options.dropIn === undefined ? "" : sha256Hex(options.dropIn),
    enabled: options.enabled ?? true,
    active: options.active ?? true,
    triggers: options.triggers ?? [],
    startTimeoutSeconds: options.startTimeoutSeconds ?? 60,
  };
}

/** Inputs of an AptPackages. */
export function aptInputs(
  connection: HostConnection,
  packages: string[],
  timeoutSeconds = 600,
): Record<string, unknown> {
  return { connection, packages, timeoutSeconds };
}
