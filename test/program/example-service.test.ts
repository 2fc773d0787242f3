/**
 * The example service (test/fixtures/example-service), registered with its one line before the
 * program loads, is declared like a built-in one: its file and unit in its host's state, its
 * container through the Docker provider, its secret required.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { greeterSecretKey } from "../fixtures/example-service";
import { cacheContainer, greeterUnit, greetingPath } from "../fixtures/example-service/render";
import { evaluate, stackFleet, testSecrets } from "./evaluate";

test("a registered example service is declared in its host's state", () => {
  const fleet = stackFleet("home");
  fleet.hosts.vega.services = { ...(fleet.hosts.vega.services ?? {}), "example-greeter": { greeting: "hi there" } };
  const secrets = {
    ...testSecrets(stackFleet("home")),
    [greeterSecretKey]: "token",
    "mqtt-password-greeter": "greeter-password",
  };
  const register = join(__dirname, "..", "fixtures", "example-service", "register.ts");
  const { registrations, error } = evaluate({ stack: "home", fleet, secrets, preload: [register] });
  assert.equal(error, undefined, error?.message);
  const state = registrations.find(
    (r) => r.type === "pulumi-nodejs:dynamic/lyra-host:HostState" && r.name === "vega:state",
  );
  assert.ok(state, "vega's state is declared");
  const items = JSON.parse(String(state.inputs.items));
  assert.ok(items.units[greeterUnit], `vega's state declares ${greeterUnit}`);
  assert.deepEqual(items.units[greeterUnit].restartOn, [greetingPath]);
  assert.equal(items.files[greetingPath]?.content, "hi there\n");
  assert.ok(items.packages.includes("python3"));
  // Its container, like the broker's: a Container component after the host, through the Docker provider.
  const component = registrations.find(
    (r) => r.type === "lyra-fleet:fleet:Container" && r.name === `vega:${cacheContainer}`,
  );
  assert.ok(component, "the container component is declared");
  const container = registrations.find(
    (r) => r.type === "docker:index/container:Container" && r.name === `vega:${cacheContainer}-container`,
  );
  assert.ok(container, "the docker container is declared");
  assert.equal(container.parent, component.urn);
  assert.equal(container.inputs.name, cacheContainer);
  assert.equal(container.inputs.restart, "unless-stopped");
  assert.ok(container.dependencies.includes(state.urn), "the container after its host's state (its config)");
  // The program refuses to start without the service's secret: it reads it like any other.
  const { [greeterSecretKey]: _token, ...withoutToken } = secrets;
  const missing = evaluate({ stack: "home", fleet, secrets: withoutToken, preload: [register] });
  assert.match(missing.error?.message ?? "", new RegExp(`pulumi config set --secret --stack home ${greeterSecretKey}`));
});
