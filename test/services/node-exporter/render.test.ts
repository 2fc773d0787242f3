/** The node exporter: Debian's unit with a sandbox that still lets it read the whole host. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { render } from "../../../src/services/node-exporter/render";
import { fragmentOf, homeFleet } from "../../render/fixtures";

test("the exporter's drop-in sandboxes it but leaves /proc whole and netlink open", () => {
  const unit = fragmentOf(render, "node-exporter", homeFleet(), "mirror-1").units!.find(
    (u) => u.name === "prometheus-node-exporter.service",
  )!;
  assert.equal(unit.content, null, "Debian's own unit");
  const dropIn = unit.dropIn!;
  assert.match(dropIn, /^ProtectSystem=strict$/m);
  assert.match(dropIn, /^CapabilityBoundingSet=$/m);
  // meminfo, stat, diskstats and PID 1's mounts are what it exports.
  assert.match(dropIn, /^ProtectProc=default$/m);
  assert.match(dropIn, /^ProcSubset=all$/m);
  assert.match(dropIn, /^ProtectHome=read-only$/m, "the filesystem collector sees the real /home");
  assert.match(dropIn, /^RestrictAddressFamilies=\nRestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK$/m);
});
