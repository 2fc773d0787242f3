/**
 * The host resources, as the fleet layer uses them. Each is a Pulumi dynamic resource whose
 * provider reads the real host over SSH, so `pulumi refresh`/`preview` see drift and `pulumi up`
 * repairs it. Type tokens: `pulumi-nodejs:dynamic/lyra-host:<Name>`.
 */
export { AptPackages, type AptPackagesArgs } from "./apt-packages";
export { Directory, type DirectoryArgs } from "./directory";
export { File, type FileArgs } from "./file";
export { HealthGate, type HealthGateArgs } from "./health-gate";
export { HostState, type HostStateArgs, type ArtifactItem, type FileItem, type UnitItem } from "./host-state";
export { type HostConnectionInputs } from "./resource-support";
export { SystemdUnit, type SystemdUnitArgs } from "./systemd-unit";
export type { HostConnection } from "../transport/connection";
