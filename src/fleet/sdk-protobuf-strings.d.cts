export type ProtobufStrings = "native" | "kept: google-protobuf changed";

/** See ./sdk-protobuf-strings.cjs. `protobuf`: a google-protobuf module (by default, the SDK's). */
export function nativeProtobufStrings(protobuf?: object): ProtobufStrings;
