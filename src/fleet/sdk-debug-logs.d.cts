export type SdkDebugLogs = "skipped" | "kept for LYRA_FLEET_SDK_DEBUG" | "kept: the SDK changed";

/** See ./sdk-debug-logs.cjs. `sdkModule(path)`: the SDK's module at that path inside it (by default, required here). */
export function skipSdkDebugLogs(env?: NodeJS.ProcessEnv, sdkModule?: (path: string) => object): SdkDebugLogs;
