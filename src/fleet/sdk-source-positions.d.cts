export type SdkSourcePositions = "skipped" | "kept for LYRA_FLEET_SOURCE_POSITIONS" | "kept: the SDK changed";

/** See ./sdk-source-positions.cjs. `resourceModule`: the SDK's resource.js, as it was loaded (by default, required here). */
export function skipSdkSourcePositions(env?: NodeJS.ProcessEnv, resourceModule?: object): SdkSourcePositions;
