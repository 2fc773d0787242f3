/**
 * Adding a service is one folder and one line: a small module from a fixture folder, registered
 * with one call, is validated, rendered, documented and verified like a built-in service (and
 * declared: test/program/example-service.test.ts).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { parseFleet } from "../../src/model/load";
import { requiredSecretKeys, secretValueProblems } from "../../src/model/secrets";
import { planFleet } from "../../src/render";
import { serviceReferenceTable } from "../../src/services/reference";
import { plannedChecks } from "../../src/verify/reach";
import { greeterSecretKey } from "../fixtures/example-service";
import { unregister } from "../fixtures/example-service/register";
import { greeterUnit, greetingPath } from "../fixtures/example-service/render";
import { stackFleet } from "../support/stack-fleet";

after(unregister);

/** The home stack with the example service placed on vega (no role runs it by default). */
function withGreeter(settings: Record<string, unknown> = { greeting: "hi there" }) {
  const raw = stackFleet("home");
  raw.hosts.vega.services = { ...(raw.hosts.vega.services ?? {}), "example-greeter": settings };
  return parseFleet(raw, "stacks/Pulumi.home.yaml");
}

test("its options are validated with the stack, with the path and its own message", () => {
  assert.throws(
    () => withGreeter({ greeting: "<script>" }),
    /hosts\.vega\.services\.example-greeter\.greeting[^\n]*expected a short greeting of letters/,
  );
  const vega = withGreeter().hosts.find((h) => h.name === "vega")!;
  assert.deepEqual((vega.services as Record<string, unknown>)["example-greeter"], {
    enabled: true,
    port: 8900,
    greeting: "hi there",
  });
});

test("it brings its secret (with its value rule) and its MQTT user", () => {
  const fleet = withGreeter();
  assert.ok(requiredSecretKeys(fleet).includes(greeterSecretKey));
  assert.deepEqual(secretValueProblems({ [greeterSecretKey]: "two\nlines" }), [
    `secret '${greeterSecretKey}' holds a line break (expected one line)`,
  ]);
  assert.deepEqual(
    fleet.mqttUsers.find((u) => u.name === "greeter"),
    { name: "greeter", publish: ["lyra/greetings/#"], subscribe: [], service: "example-greeter" },
  );
  // Its user's password is one more broker secret.
  assert.ok(requiredSecretKeys(fleet).includes("mqtt-password-greeter"));
  // Not placed anywhere: no secret, no user.
  const without = parseFleet(stackFleet("home"), "stacks/Pulumi.home.yaml");
  assert.ok(!requiredSecretKeys(without).includes(greeterSecretKey));
  assert.ok(!without.mqttUsers.some((u) => u.name === "greeter"));
  assert.ok(!requiredSecretKeys(without).includes("mqtt-password-greeter"));
});

test("it is rendered into its host's plan, and only there", () => {
  const plans = planFleet(withGreeter());
  const vega = plans.find((p) => p.host === "vega")!;
  assert.ok(vega.services.includes("example-greeter"));
  assert.equal(vega.files.find((f) => f.path === greetingPath)?.content, "hi there\n");
  assert.deepEqual(vega.files.find((f) => f.path === greetingPath)?.restarts, [greeterUnit]);
  assert.ok(vega.units.some((u) => u.name === greeterUnit && u.content?.includes("http.server 8900")));
  assert.ok(vega.ports.some((p) => p.port === 8900 && p.service === "example-greeter"));
  assert.ok(vega.packages.includes("python3"));
  for (const plan of plans.filter((p) => p.host !== "vega"))
    assert.ok(!plan.units.some((u) => u.name === greeterUnit), plan.host);
});

test("it is documented: the README's reference, and the docs site's host page, recovery and rebuild pages", () => {
  assert.match(
    serviceReferenceTable(),
    /^\| `example-greeter` \| `greeting` \| `hello` \| What the service answers\. \|$/m,
  );
  const docs = planFleet(withGreeter())
    .find((p) => p.host === "lyra")!
    .files.filter((f) => f.path.startsWith("/opt/lyra/docs/"));
  const mentioning = (text: string) => docs.filter((f) => f.content.includes(text)).map((f) => f.path);
  assert.ok(mentioning(greeterUnit).length > 0, "the docs name its unit");
  assert.ok(mentioning("systemctl restart example-greeter").length > 0, "the docs give its recovery step");
  assert.ok(mentioning("/var/lib/example-greeter").length > 0, "the docs list its data set");
});

test("it is verified: its check is among the runbook's checks, on its host", () => {
  const fleet = withGreeter();
  const checks = plannedChecks(fleet, planFleet(fleet)).filter((c) => c.check.name === "vega: example-greeter answers");
  assert.equal(checks.length, 1);
  assert.equal(checks[0].host, "vega");
  assert.deepEqual(checks[0].check, {
    kind: "http",
    name: "vega: example-greeter answers",
    url: "http://vega.home.arpa:8900/",
    expectStatus: 200,
  });
});

test("unregistered, the same stack is refused: the service is known only through the registry", () => {
  unregister();
  assert.throws(() => withGreeter(), /unknown service; expected one of: backup, config-source/);
});
