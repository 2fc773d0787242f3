/**
 * The stand-in engine's RegisterResource on the wire (bench/support/register-wire.ts) against the
 * SDK's generated messages: it reads what the SDK writes, and the SDK reads what it answers, with
 * the inputs passed through byte for byte.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readRegisterRequest, writeRegisterResponse } from "../../bench/support/register-wire";

const resourceProto = require("@pulumi/pulumi/proto/resource_pb");
const sourceProto = require("@pulumi/pulumi/proto/source_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

const inputs = { items: "é".repeat(70_000), port: 1883, nested: { on: true, list: ["a", null] } };

function request(fill: (r: any) => void): Buffer {
  const r = new resourceProto.RegisterResourceRequest();
  fill(r);
  return Buffer.from(r.serializeBinary());
}

test("a request's type, name, parent, custom flag, source position and inputs are read", () => {
  const position = new sourceProto.SourcePosition().setUri("file:///p/index.ts").setLine(12).setColumn(300);
  const bytes = request((r) =>
    r
      .setType("pulumi-nodejs:dynamic:Resource")
      .setName("mirror-1:state")
      .setParent("urn:pulumi:s::p::lyra-fleet:fleet:Fleet::fleet")
      .setCustom(true)
      .setObject(Struct.fromJavaScript(inputs))
      .setProtect(true)
      .setDependenciesList(["urn:a", "urn:b"])
      .setSourceposition(position),
  );
  const read = readRegisterRequest(bytes);
  assert.equal(read.type, "pulumi-nodejs:dynamic:Resource");
  assert.equal(read.name, "mirror-1:state");
  assert.equal(read.parent, "urn:pulumi:s::p::lyra-fleet:fleet:Fleet::fleet");
  assert.equal(read.custom, true);
  assert.equal(read.sourcePosition, "file:///p/index.ts#12,300");
  assert.deepEqual(Struct.deserializeBinary(read.object).toJavaScript(), inputs);
});

test("a component without inputs or position reads as such", () => {
  const read = readRegisterRequest(request((r) => r.setType("lyra-fleet:fleet:Fleet").setName("fleet")));
  assert.deepEqual(read, {
    type: "lyra-fleet:fleet:Fleet",
    name: "fleet",
    parent: "",
    custom: false,
    sourcePosition: "",
  });
});

test("the response carries the URN, the id and the inputs back as outputs", () => {
  const object = Buffer.from(Struct.fromJavaScript(inputs).serializeBinary());
  const bytes = writeRegisterResponse({ urn: "urn:pulumi:s::p::t::n", id: "n-id", object });
  const response = resourceProto.RegisterResourceResponse.deserializeBinary(bytes);
  assert.equal(response.getUrn(), "urn:pulumi:s::p::t::n");
  assert.equal(response.getId(), "n-id");
  assert.deepEqual(response.getObject().toJavaScript(), inputs);
  const bare = resourceProto.RegisterResourceResponse.deserializeBinary(writeRegisterResponse({ urn: "u", id: "" }));
  assert.equal(bare.getId(), "");
  assert.equal(bare.getObject(), undefined);
});
