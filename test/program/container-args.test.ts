/**
 * The broker container the program registers is exactly what src/fleet/container-args.ts builds:
 * the function the lab runs with `docker run` on a real engine (test/lab/docker-broker.test.ts),
 * so what the lab proves is what `pulumi up` asks the Docker provider for.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { containerResourceArgs, containerVolumes } from "../../src/fleet/container-args";
import { parseFleet } from "../../src/model/load";
import { planFleet } from "../../src/render";
import { contentsHash, resolveSecrets } from "../../src/render/secrets";
import { evaluate, stackFleet, testSecrets } from "./evaluate";

test("the registered docker.Container's inputs equal containerResourceArgs(plan's container, pulled image ID, config hash); its volumes are declared", () => {
  const fleet = stackFleet("home");
  const secrets = testSecrets(fleet);
  const { registrations, error } = evaluate({ stack: "home", fleet, secrets });
  assert.equal(error, undefined, error?.message);

  const plan = planFleet(parseFleet(fleet, "stacks/Pulumi.home.yaml")).find((p) => p.host === "vega");
  assert.ok(plan, "the home stack has vega");
  const spec = plan.containers.find((c) => c.name === "mqtt-broker");
  assert.ok(spec, "vega runs the broker container in the home stack");
  const content = (path: string) => resolveSecrets(plan.files.find((f) => f.path === path)!.content, secrets);
  const configHash = contentsHash(spec.configFiles.map(content));
  // The mocks give a RemoteImage the ID `image-id-of:<name>` (test/program/harness.ts).
  const expected = containerResourceArgs(spec, `image-id-of:${spec.image}`, configHash);

  const container = registrations.find(
    (r) => r.type === "docker:index/container:Container" && r.name === "vega:mqtt-broker-container",
  );
  assert.ok(container, "the program registers vega's broker container");
  assert.deepEqual(container.inputs, JSON.parse(JSON.stringify(expected)));

  const volumes = registrations.filter((r) => r.type === "docker:index/volume:Volume").map((r) => r.inputs.name);
  assert.deepEqual(volumes, containerVolumes(spec));
  assert.ok(volumes.length > 0, "the broker keeps its data on a named volume");
});
