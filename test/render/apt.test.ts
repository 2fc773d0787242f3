/**
 * `site.nas.aptProxy`: validated where it is written (the stack file and the field named), and
 * once set, every host's plan carries the apt.conf file and the proxy for the HostState's own
 * apt-get runs; without it, neither.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FleetConfigError, parseFleet } from "../../src/model/load";
import { planFleet } from "../../src/render";
import { aptProxyFile } from "../../src/render/apt";
import { stackFleet } from "../support/stack-fleet";

const source = "stacks/Pulumi.test.yaml";
const expected =
  "expected the http:// URL of the NAS's package cache, e.g. http://nas.home.arpa:3142 (http only, a host and an optional port, no path or credentials)";

function problems(aptProxy: unknown): string {
  const raw = stackFleet("home");
  raw.site.nas.aptProxy = aptProxy;
  try {
    parseFleet(raw, source);
  } catch (e) {
    assert.ok(e instanceof FleetConfigError, `expected a FleetConfigError, got ${String(e)}`);
    return e.message;
  }
  return assert.fail(`expected ${JSON.stringify(aptProxy)} to be refused`);
}

const oneProblem = (message: string) =>
  `${source}: 1 problem in lyra-fleet:fleet; nothing was changed:\n  - site.nas.aptProxy: ${message}`;

test("an apt proxy that is not an http URL of a host is refused, naming the file and the field", () => {
  for (const bad of [
    "https://nas.home.arpa:3142", // apt-cacher-ng answers plain HTTP
    "nas.home.arpa:3142",
    "http://nas.home.arpa:3142/debian",
    "http://user:secret@nas.home.arpa:3142",
    'http://nas.home.arpa:3142";',
    "http://nas.home.arpa:3142\nAcquire::x",
    "http://nas.home.arpa:31x2",
  ])
    assert.equal(problems(bad), oneProblem(expected), bad);
  assert.equal(problems(3142), oneProblem(expected));
  assert.equal(problems("http://nas.home.arpa:70000"), oneProblem(`${expected}; the port must be 1-65535`));
  assert.equal(
    problems("http://nas_1.home.arpa:3142"),
    oneProblem(`${expected}; 'nas_1.home.arpa' is not an IPv4 address or a DNS name`),
  );
  assert.equal(
    problems("http://0.0.0.0:3142"),
    oneProblem(`${expected}; '0.0.0.0' is not an IPv4 address or a DNS name`),
  );
});

test("with an apt proxy, every host's plan has the apt.conf file and passes the proxy on", () => {
  const raw = stackFleet("home");
  raw.site.nas.aptProxy = "http://nas.home.arpa:3142";
  const plans = planFleet(parseFleet(raw, source));
  assert.ok(plans.length >= 3);
  for (const plan of plans) {
    assert.equal(plan.aptProxy, "http://nas.home.arpa:3142", plan.host);
    const file = plan.files.find((f) => f.path === aptProxyFile);
    assert.deepEqual(
      file,
      {
        path: "/etc/apt/apt.conf.d/01lyra-proxy",
        content:
          "// Written by lyra-fleet (site.nas.aptProxy): Debian packages come through the NAS's cache.\n" +
          'Acquire::http::Proxy "http://nas.home.arpa:3142";\n' +
          "// The cache can refuse an index for a moment; apt's delayed retry of it hangs apt-get update.\n" +
          'Acquire::Retries::Delay "false";\n',
        mode: "0644",
        owner: "root",
        group: "root",
        restarts: [],
      },
      plan.host,
    );
  }
  // An address and a trailing slash are fine too.
  raw.site.nas.aptProxy = "http://192.168.1.5/";
  assert.equal(planFleet(parseFleet(raw, source))[0].aptProxy, "http://192.168.1.5/");
});

test("without an apt proxy, no host gets the file or a proxy", () => {
  const raw = stackFleet("home");
  delete raw.site.nas.aptProxy;
  for (const plan of planFleet(parseFleet(raw, source))) {
    assert.equal(plan.aptProxy, undefined, plan.host);
    assert.ok(!("aptProxy" in plan), "the plan has no aptProxy key at all (renders stay as they were)");
    assert.equal(
      plan.files.find((f) => f.path === aptProxyFile),
      undefined,
      plan.host,
    );
  }
});

test("the lab stack installs through its nas", () => {
  const plans = planFleet(parseFleet(stackFleet("lab"), "stacks/Pulumi.lab.yaml"));
  assert.deepEqual(
    plans.map((p) => [p.host, p.aptProxy]),
    plans.map((p) => [p.host, "http://nas.lab.home.arpa:3142"]),
  );
});
