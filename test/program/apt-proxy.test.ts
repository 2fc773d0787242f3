/**
 * `site.nas.aptProxy` under Pulumi mocks: every host's HostState gets the proxy for its own
 * apt-get runs and the apt.conf file that names it; without one, the state's items say nothing
 * of a proxy (the items of existing stacks stay byte for byte as they were).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate, stackFleet, testSecrets } from "./evaluate";

const STATE = "pulumi-nodejs:dynamic/lyra-host:HostState";

function states(aptProxy: string | undefined): Record<string, any>[] {
  const fleet = stackFleet("home");
  if (aptProxy === undefined) delete fleet.site.nas.aptProxy;
  else fleet.site.nas.aptProxy = aptProxy;
  const run = evaluate({ stack: "home", fleet, secrets: testSecrets(fleet) });
  assert.equal(run.error, undefined, run.error?.message);
  const found = run.registrations.filter((r) => r.type === STATE).map((r) => JSON.parse(String(r.inputs.items)));
  assert.ok(found.length >= 3, "a state per host");
  return found;
}

test("with site.nas.aptProxy, every host's state installs through it and writes the apt.conf file", () => {
  for (const items of states("http://nas.home.arpa:3142")) {
    assert.equal(items.aptProxy, "http://nas.home.arpa:3142");
    assert.match(
      items.files["/etc/apt/apt.conf.d/01lyra-proxy"].content,
      /^Acquire::http::Proxy "http:\/\/nas\.home\.arpa:3142";$/m,
    );
  }
});

test("without it, no state names a proxy", () => {
  for (const items of states(undefined)) {
    assert.ok(!("aptProxy" in items));
    assert.equal(items.files["/etc/apt/apt.conf.d/01lyra-proxy"], undefined);
  }
});
