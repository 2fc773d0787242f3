/**
 * The changes the program makes to the Pulumi SDK before it declares any resource: the SDK's
 * per-promise stack traces, its per-registration debug messages, its per-resource source positions
 * and its protobuf strings were most of the evaluation time of a large fleet, and its outputs for
 * properties the program never reads a part of its memory. Each module says why,
 * and what asks for the SDK's own behaviour back. One list, so that the program and the bench's
 * SDK floor (bench/support/sdk-floor.ts) make the same changes. Under the CLI the SDK preload
 * (./sdk-preload.cjs) has made the debug-message, source-position and protobuf-string changes
 * already, as the SDK loaded: making them again changes nothing. Here they are for a program run
 * without it (the tests' mocks).
 */
import { skipSdkDebugLogs } from "./sdk-debug-logs.cjs";
import { nativeProtobufStrings } from "./sdk-protobuf-strings.cjs";
import { skipSdkPromiseStacks } from "./sdk-promise-stacks";
import { skipSdkSourcePositions } from "./sdk-source-positions.cjs";
import { outputsOnlyForReadProperties } from "./sdk-output-properties";

export function applySdkChanges(): void {
  skipSdkPromiseStacks();
  skipSdkDebugLogs();
  skipSdkSourcePositions();
  nativeProtobufStrings();
  outputsOnlyForReadProperties();
}
