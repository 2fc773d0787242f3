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
 *
 * Plain CommonJS, so that the SDK preload (./sdk-preload.cjs) can make this change as the SDK loads
 * google-protobuf: in the program before the runner registers the stack, and in the dynamic
 * provider's process (the engine sends it every host's items, as it has them and as declared, in
 * each check, diff, read and update), where the program's own call (./sdk-changes.ts) never runs.
 */
"use strict";
const { Buffer } = require("node:buffer");
const { dirname } = require("node:path");
const { TextDecoder } = require("node:util");

/** One mark for every copy of this module (the preload's, and the program bundle's). */
const native = Symbol.for("lyra-fleet native protobuf strings");

/** The google-protobuf instance the Pulumi SDK's generated messages use. */
function sdkProtobuf() {
  const sdk = dirname(require.resolve("@pulumi/pulumi/package.json"));
  return require(require.resolve("google-protobuf", { paths: [sdk] }));
}

/** Switches the SDK's protobuf strings to Node's UTF-8 (idempotent); says what it did. */
module.exports.nativeProtobufStrings = function nativeProtobufStrings(protobuf = sdkProtobuf()) {
  const writer = protobuf.BinaryWriter?.prototype;
  const reader = protobuf.BinaryReader?.prototype;
  const has = (o, names) => o !== undefined && names.every((n) => typeof o[n] === "function");
  if (!has(writer, ["writeString", "writeBytes"]) || !has(reader, ["readString", "getFieldDecoder"])) {
    return "kept: google-protobuf changed";
  }
  if (writer[native] && reader[native]) return "native";
  const originals = {
    writeString: Object.getOwnPropertyDescriptor(writer, "writeString"),
    readString: Object.getOwnPropertyDescriptor(reader, "readString"),
  };
  const utf8 = new TextDecoder();
  writer.writeString = function (field, value) {
    if (value != null) this.writeBytes(field, Buffer.from(value, "utf8"));
  };
  reader.readString = function () {
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
  writer[native] = true;
  reader[native] = true;
  return "native";
};

/** Whether a string written as field 1 reads back the same. */
function roundTrips(protobuf, text) {
  try {
    const writer = new protobuf.BinaryWriter();
    writer.writeString(1, text);
    const reader = new protobuf.BinaryReader(writer.getResultBuffer());
    return reader.nextField() && reader.readString() === text;
  } catch {
    return false;
  }
}
