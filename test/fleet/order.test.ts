/** The cross-host order comes from the plans' typed prerequisites alone: no model, no strings parsed. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { convergeOrder, hostsWaitedFor, plansByHost, prerequisiteProblem } from "../../src/fleet/order";
import { parseFleet } from "../../src/model/load";
import { planFleet } from "../../src/render";
import { stackFleet } from "../support/stack-fleet";

const home = planFleet(parseFleet(stackFleet("home"), "stacks/Pulumi.home.yaml"));

test("the broker's and the config source's host converge first; the rest by name", () => {
  assert.deepEqual(convergeOrder(home), ["vega", "lyra", "mirror-1", "mirror-2"]);
  assert.deepEqual(hostsWaitedFor(home.find((p) => p.host === "mirror-1")!), ["vega"]);
  assert.deepEqual(hostsWaitedFor(home.find((p) => p.host === "vega")!), []);
});

test("a host placed elsewhere moves the order with it (the broker on lyra, native)", () => {
  const raw = stackFleet("home");
  raw.hosts.vega.services = { ...(raw.hosts.vega.services ?? {}), "mqtt-broker": { enabled: false } };
  raw.hosts.lyra.services = { ...(raw.hosts.lyra.services ?? {}), "mqtt-broker": { mode: "native" } };
  const plans = planFleet(parseFleet(raw, "stacks/Pulumi.home.yaml"));
  const order = convergeOrder(plans);
  assert.ok(
    order.indexOf("lyra") < order.indexOf("mirror-1") && order.indexOf("vega") < order.indexOf("mirror-1"),
    order.join(", "),
  );
  const client = plans.find((p) => p.host === "mirror-1")!.units.find((u) => u.name === "mqtt-client.service")!;
  assert.ok(
    client.after.some(
      (p) => p.kind === "unit" && p.host === "lyra" && p.unit === "mqtt-broker.service" && p.label === "lyra/broker",
    ),
  );
});

test("a prerequisite no plan declares is named with what is missing", () => {
  assert.equal(
    prerequisiteProblem(
      { kind: "container", label: "vega/broker", host: "vega", container: "mqtt-broker" },
      plansByHost(home),
    ),
    undefined,
  );
  assert.equal(
    prerequisiteProblem({ kind: "unit", label: "vega/nope", host: "vega", unit: "nope.service" }, plansByHost(home)),
    "names unit nope.service, which host 'vega' does not declare",
  );
  assert.equal(
    prerequisiteProblem({ kind: "container", label: "lyra/c", host: "lyra", container: "c" }, plansByHost(home)),
    "names container c, which host 'lyra' does not declare",
  );
  assert.equal(
    prerequisiteProblem({ kind: "host", label: "x/config-source", host: "x" }, plansByHost(home)),
    "names host 'x', which has no plan",
  );
});
