/**
 * The SDK makes outputs only for the properties a host resource marks as read, still sends every
 * property to the engine, and keeps every output of a resource without the mark.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { outputsOnlyForReadProperties, type RpcModule } from "../../src/fleet/sdk-output-properties";
import { withOutputProperties } from "../../src/host/resources/output-properties";

class Thing extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("test:index:Thing", name, props);
  }
}

test("a marked resource gets outputs for its read properties only; the engine still gets them all", async () => {
  assert.equal(outputsOnlyForReadProperties(), "read properties only");
  assert.equal(outputsOnlyForReadProperties(), "read properties only", "a second call does not wrap twice");
  const sent = new Map<string, Record<string, unknown>>();
  await pulumi.runtime.setMocks({
    newResource: (args) => (sent.set(args.name, args.inputs), { id: `${args.name}-id`, state: args.inputs }),
    call: () => ({}),
  });
  const props = { items: '{"files":{}}', label: "health", converged: "abc" };
  const marked: Record<string, any> = new Thing("marked", withOutputProperties({ ...props }, ["converged"]));
  const plain: Record<string, any> = new Thing("plain", { ...props });

  assert.equal(await new Promise((resolve) => marked.converged.apply(resolve)), "abc");
  assert.ok(!("items" in marked) && !("label" in marked), "no output for what the program does not read");
  assert.equal(await new Promise((resolve) => plain.items.apply(resolve)), '{"files":{}}');
  assert.equal(await new Promise((resolve) => plain.label.apply(resolve)), "health");
  await new Promise((resolve) => plain.urn.apply(resolve));
  assert.deepEqual(sent.get("marked"), props, "every property registered, the mark not among them");
  assert.deepEqual(sent.get("plain"), props);
});

test("an SDK without the function is left as it is", () => {
  const rpc: RpcModule = {};
  assert.equal(outputsOnlyForReadProperties(rpc), "kept: the SDK changed");
  assert.deepEqual(rpc, {});
});
