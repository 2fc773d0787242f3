/**
 * `hosts.<name>.ssh.connectTimeoutSeconds` under Pulumi mocks: that host's state and gates connect
 * with the longer deadline; every other host's connection says nothing of one, so the inputs of
 * existing stacks stay as they were.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate, stackFleet, testSecrets } from "./evaluate";

const HOST_RESOURCE = /^pulumi-nodejs:dynamic\/lyra-host:/;

test("a host's SSH connect deadline reaches each of its resources' connections, and only its", () => {
  const fleet = stackFleet("home");
  // vega: its state, its gate and the MQTT round trip each connect to it (the others' gates run in their states).
  fleet.hosts["vega"].ssh.connectTimeoutSeconds = 45;
  const run = evaluate({ stack: "home", fleet, secrets: testSecrets(fleet) });
  assert.equal(run.error, undefined, run.error?.message);
  const connections = run.registrations
    .filter((r) => HOST_RESOURCE.test(r.type))
    .map((r) => ({ name: r.name, connection: r.inputs.connection as Record<string, unknown> }));
  const own = connections.filter((c) => c.connection.host === "vega");
  assert.deepEqual(own.map((c) => c.name).sort(), ["vega:health-gate", "vega:mqtt-round-trip", "vega:state"]);
  for (const c of own) assert.equal(c.connection.connectTimeoutMs, 45_000, c.name);
  const others = connections.filter((c) => c.connection.host !== "vega");
  assert.deepEqual(others.map((c) => c.name).sort(), ["lyra:state", "mirror-1:state", "mirror-2:state"]);
  for (const c of others)
    assert.ok(!("connectTimeoutMs" in c.connection), `${c.name}: ${JSON.stringify(c.connection)}`);
});
