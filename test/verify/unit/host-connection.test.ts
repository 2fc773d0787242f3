/** How verify reaches a host: the stack's SSH settings, with the longer of two connect deadlines. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFleet } from "../../../src/model/load";
import { hostConnection } from "../../../src/verify/prepare";
import { stackFleet } from "../../support/stack-fleet";

const source = "stacks/Pulumi.home.yaml";

test("a host's ssh.connectTimeoutSeconds lengthens verify's connect deadline, never shortens it", () => {
  const raw = stackFleet("home");
  raw.hosts["mirror-1"].ssh.connectTimeoutSeconds = 45;
  raw.hosts["mirror-2"].ssh.connectTimeoutSeconds = 2;
  const fleet = parseFleet(raw, source);
  assert.equal(hostConnection(fleet, "mirror-1", undefined, 10_000).connectTimeoutMs, 45_000);
  assert.equal(hostConnection(fleet, "mirror-2", undefined, 10_000).connectTimeoutMs, 10_000);
  const vega = hostConnection(fleet, "vega", undefined, 10_000);
  assert.equal(vega.connectTimeoutMs, 10_000);
  assert.equal(vega.user, raw.hosts.vega.ssh.user ?? "root");
});
