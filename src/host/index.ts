/**
 * src/host: the SSH transport and the drift-aware host resources.
 *
 * - resources (File, Directory, SystemdUnit, AptPackages): what the fleet program declares;
 * - transport (runRemote, counters, HostError): what tests, benchmarks and the verify CLI use.
 */
export * from "./resources";
export { describeHost, DEFAULT_CONNECT_TIMEOUT_MS } from "./transport/connection";
export { hostCounters, resetHostCounters, type HostCounters } from "./transport/counters";
export { hostError, isHostError, scrubSecrets, type HostError, type HostErrorKind } from "./transport/errors";
export { sha256Fingerprint } from "./transport/host-key";
export {
  closeAllHostConnections,
  runRemote,
  runRemoteChecked,
  type RemoteCommandOptions,
  type RemoteCommandResult,
} from "./transport/ssh";
