/** The cross-host order comes from the plans' typed prerequisites alone: no model, no strings parsed. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { convergeOrder, hostsWaitedFor, plansByHost, prerequisiteProblem } from "../../src/fleet/order";
import { parseFleet } from "../../src/model/load";
import { planFleet } from "../../src/render";
import type { HostPlan } from "../../src/render/plan";
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

/** The order as first written: each step scans every host not yet placed (quadratic, plainly right). */
function referenceOrder(plans: readonly HostPlan[]): string[] {
  const waits = new Map(plans.map((p) => [p.host, hostsWaitedFor(p)]));
  const pending = plans.map((p) => p.host).sort();
  const order = new Set<string>();
  while (pending.length > 0) {
    const ready =
      pending.find((host) => waits.get(host)!.every((other) => order.has(other) || !waits.has(other))) ?? pending[0];
    order.add(ready);
    pending.splice(pending.indexOf(ready), 1);
  }
  return [...order];
}

test("the order is the first ready host by name at each step, cycles and unknown hosts included", () => {
  // Plans with only what the order reads: units waiting for other hosts, some with no plan.
  let seed = 7;
  const random = (below: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % below;
  for (let round = 0; round < 200; round++) {
    const count = 1 + random(12);
    const names = Array.from({ length: count }, (_, i) => `h${random(40)}-${i}`);
    const plans = names.map((host) => ({
      host,
      units: Array.from({ length: random(3) }, () => ({
        after: Array.from({ length: random(3) }, () => {
          const other = random(5) === 0 ? "gone" : names[random(count)];
          return { kind: "host" as const, label: `${other}/x`, host: other };
        }),
      })),
    })) as unknown as HostPlan[];
    assert.deepEqual(
      convergeOrder(plans),
      referenceOrder(plans),
      JSON.stringify(plans.map((p) => [p.host, hostsWaitedFor(p)])),
    );
  }
});
