/**
 * Every string the program sends the engine or reads back from it goes through google-protobuf's
 * JavaScript UTF-8 code, one character at a time into an array of numbers. A fleet's registrations
 * carry every file of every host (about 30 KB a mirror): at 1000 mirrors that code and the garbage it
 * makes were about a quarter of the program's evaluation time (bench/program-scale.ts).
 *
 * So the two string methods the generated messages call are replaced by Node's native UTF-8:
 * writing a string writes its UTF-8 bytes as a length-delimited field (the same bytes on the wire),
 * and reading one decodes the field's bytes in one call. For text that is valid UTF-16 the bytes and
 * the strings are the same as before. A lone surrogate, which the old writer dropped or encoded as
 * bytes that are not UTF-8 (which the engine's proto decoder rejects), is now written as U+FFFD.
 *
 * Only google-protobuf's exported names are used, and the switch is tried on a probe string before
 * it is kept: an upgrade that changes them leaves the library as it is, and says so.
 */
import { dirname } from "node:path";

interface Writer {
  writeString(field: number, value: string | null | undefined): void;
  writeBytes(field: number, value: Uint8Array): void;
  getResultBuffer(): Uint8Array;
}
interface FieldDecoder {
  getBuffer(): Uint8Array;
  getCursor(): number;
  getEnd(): number;
  free(): void;
}
interface Reader {
  readString(): string;
  getFieldDecoder(): FieldDecoder;
  nextField(): boolean;
}
interface ProtobufModule {
  BinaryWriter?: { new (): Writer; prototype: Writer & { [native]?: true } };
  BinaryReader?: { new (bytes: Uint8Array): Reader; prototype: Reader & { [native]?: true } };
}

const native = Symbol("lyra-fleet native protobuf strings");

export type ProtobufStrings = "native" | "kept: google-protobuf changed";

/** The google-protobuf instance the Pulumi SDK's generated messages use. */
function sdkProtobuf(): ProtobufModule {
  const sdk = dirname(require.resolve("@pulumi/pulumi/package.json"));
  return require(require.resolve("google-protobuf", { paths: [sdk] })) as ProtobufModule;
}

/** Switches the SDK's protobuf strings to Node's UTF-8 (idempotent); says what it did. */
export function nativeProtobufStrings(protobuf: ProtobufModule = sdkProtobuf()): ProtobufStrings {
  const writer = protobuf.BinaryWriter?.prototype;
  const reader = protobuf.BinaryReader?.prototype;
  const has = (o: object | undefined, names: string[]) =>
    o !== undefined && names.every((n) => typeof (o as Record<string, unknown>)[n] === "function");
  if (!has(writer, ["writeString", "writeBytes"]) || !has(reader, ["readString", "getFieldDecoder"])) {
    return "kept: google-protobuf changed";
  }
  if (writer![native] && reader![native]) return "native";
  const originals = {
    writeString: Object.getOwnPropertyDescriptor(writer, "writeString")!,
    readString: Object.getOwnPropertyDescriptor(reader, "readString")!,
  };
  const utf8 = new TextDecoder();
  writer!.writeString = function (this: Writer, field, value) {
    if (value != null) this.writeBytes(field, Buffer.from(value, "utf8"));
  };
  reader!.readString = function (this: Reader) {
    // A decoder over exactly the field's bytes; the reader has moved past them.
    const field = this.getFieldDecoder();
    const text = utf8.decode(field.getBuffer().subarray(field.getCursor(), field.getEnd()));
    field.free();
    return text;
  };
  if (!roundTrips(protobuf, "mqtt ✓ 🎙")) {
    Object.defineProperty(writer, "writeString", originals.writeString);
    Object.defineProperty(reader, "readString", originals.readString);
    return "kept: google-protobuf changed";
  }
  writer![native] = true;
  reader![native] = true;
  return "native";
}

/** Whether a string written as field 1 reads back the same. */
function roundTrips(protobuf: ProtobufModule, text: string): boolean {
  try {
    const writer = new protobuf.BinaryWriter!();
    writer.writeString(1, text);
    const reader = new protobuf.BinaryReader!(writer.getResultBuffer());
    return reader.nextField() && reader.readString() === text;
  } catch {
    return false;
  }
}
