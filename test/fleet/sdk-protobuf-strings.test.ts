/**
 * The SDK's protobuf strings in Node's native UTF-8: the same bytes on the wire as google-protobuf's
 * own code for every valid string, read back as the same strings, and a module whose exported names
 * changed is left as it was. google-protobuf's generated messages share one global namespace, so
 * there is one copy: what its own code makes is taken first, then it is switched.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { test } from "node:test";
import { nativeProtobufStrings } from "../../src/fleet/sdk-protobuf-strings.cjs";

const sdkDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
const protobuf = require(require.resolve("google-protobuf", { paths: [sdkDir] }));
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [sdkDir] }));

const samples: Record<string, unknown> = {
  ascii: "listener 1883 0.0.0.0\nallow_anonymous false\n",
  empty: "",
  twoBytes: "Grüße, ñandú",
  threeBytes: "€ 中文 ☃",
  fourBytes: "🎙️ 𝄞 astral",
  nul: "a\u0000b",
  large: "x".repeat(300_000) + "é",
  "kéy 🗝": ["nested", { deeper: "välue" }],
  number: 1883,
  flag: true,
  nothing: null,
};
const lone = ["a\ud800b", "a\udc00b", "a\ud800"];
const encode = (value: unknown): Buffer => Buffer.from(Struct.fromJavaScript(value).serializeBinary());

// google-protobuf's own code, before the switch.
const shipped = { samples: encode(samples), lone: lone.map((text) => encode({ text })) };
const status = nativeProtobufStrings(protobuf);

test("switching is reported and idempotent", () => {
  assert.equal(status, "native");
  assert.equal(nativeProtobufStrings(protobuf), "native");
});

test("the bytes on the wire are google-protobuf's own for valid text", () => {
  assert.ok(shipped.samples.length > 300_000);
  assert.ok(encode(samples).equals(shipped.samples), "the encodings differ");
});

test("text reads back as written", () => {
  assert.deepEqual(Struct.deserializeBinary(shipped.samples).toJavaScript(), samples);
});

test("a lone surrogate is written as U+FFFD, where the old writer dropped it or wrote bytes that are not UTF-8", () => {
  const replacement = Buffer.from("\ufffd", "utf8");
  // The shipped writer: a high surrogate before another character vanished; a low one became ED B0 80.
  assert.ok(!shipped.lone[0].includes(replacement));
  assert.ok(shipped.lone[1].includes(Buffer.from([0xed, 0xb0, 0x80])));
  for (const text of lone) {
    const bytes = encode({ text });
    assert.ok(bytes.includes(replacement), JSON.stringify(text));
    assert.deepEqual(Struct.deserializeBinary(bytes).toJavaScript(), {
      text: text.replace(/[\ud800-\udfff]/, "\ufffd"),
    });
  }
});

test("a google-protobuf without the exported methods is left as it is", () => {
  const writeString = () => undefined;
  const changed = { BinaryWriter: { prototype: { writeString } }, BinaryReader: { prototype: {} } };
  assert.equal(nativeProtobufStrings(changed as never), "kept: google-protobuf changed");
  assert.equal(changed.BinaryWriter.prototype.writeString, writeString);
});

test("a switch that fails its probe is undone", () => {
  // Exported names as today, but a field decoder without the methods the new readString uses.
  class BinaryWriter {
    bytes: Uint8Array[] = [];
    writeString() {}
    writeBytes(_field: number, value: Uint8Array) {
      this.bytes.push(value);
    }
    getResultBuffer() {
      return Buffer.concat(this.bytes);
    }
  }
  class BinaryReader {
    readString() {
      return "";
    }
    getFieldDecoder() {
      return {};
    }
    nextField() {
      return true;
    }
  }
  const before = [
    Object.getOwnPropertyDescriptors(BinaryWriter.prototype),
    Object.getOwnPropertyDescriptors(BinaryReader.prototype),
  ];
  assert.equal(nativeProtobufStrings({ BinaryWriter, BinaryReader } as never), "kept: google-protobuf changed");
  const after = [
    Object.getOwnPropertyDescriptors(BinaryWriter.prototype),
    Object.getOwnPropertyDescriptors(BinaryReader.prototype),
  ];
  assert.deepEqual(after, before);
});
