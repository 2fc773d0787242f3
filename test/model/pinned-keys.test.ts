/**
 * The stack's `versions:` and `images:` maps are built from what the registered modules pin: a
 * module that pins a key makes the stack need it (with the field named in the error), and the
 * key is unknown again once the module is gone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { parseFleet } from "../../src/model/load";
import { pinnedKeys } from "../../src/model/services";
import { defineService } from "../../src/services/module";
import { enabled } from "../../src/services/option-types";
import { registerService } from "../../src/services/registry";
import { stackFleet } from "../support/stack-fleet";

const source = "stacks/Pulumi.test.yaml";
const digest = `sha256:${"a".repeat(64)}`;

const pinning = defineService({
  id: "example-pinning",
  options: z.strictObject({ enabled }),
  roles: [],
  versions: ["example-app"],
  images: ["example-sidecar"],
});

test("the built-in keys are the modules' own: each version and image is pinned by the module that runs it", () => {
  assert.deepEqual(pinnedKeys(), {
    versions: ["lyra-orchestrator", "qdrant", "node-red", "stt-service", "lyra-client"],
    images: ["mqtt-broker"],
    // Every app Debian does not package is a release artifact.
    artifacts: ["lyra-orchestrator", "qdrant", "node-red", "stt-service", "lyra-client"],
  });
});

test("a module's pinned version and image are required, checked and named by their field", () => {
  const unregister = registerService(pinning);
  try {
    assert.throws(
      () => parseFleet(stackFleet("home"), source),
      (e: Error) =>
        e.message.includes(`${source}:`) &&
        e.message.includes("versions.example-app: missing; expected a version string") &&
        e.message.includes("images.example-sidecar: missing; expected a container image pinned by digest"),
    );
    const raw = stackFleet("home");
    raw.versions["example-app"] = "not a version";
    raw.images["example-sidecar"] = "registry.lan/sidecar:latest";
    assert.throws(
      () => parseFleet(raw, source),
      (e: Error) =>
        /versions\.example-app: expected a version string/.test(e.message) &&
        /images\.example-sidecar: expected an image pinned by digest/.test(e.message),
    );
    raw.versions["example-app"] = "2.1.0";
    raw.images["example-sidecar"] = `registry.lan:5000/sidecar@${digest}`;
    const fleet = parseFleet(raw, source);
    assert.equal(fleet.versions["example-app"], "2.1.0");
    assert.equal(fleet.images["example-sidecar"], `registry.lan:5000/sidecar@${digest}`);
  } finally {
    unregister();
  }
  const raw = stackFleet("home");
  raw.versions["example-app"] = "2.1.0";
  assert.throws(() => parseFleet(raw, source), /versions\.example-app: unknown field/);
});
