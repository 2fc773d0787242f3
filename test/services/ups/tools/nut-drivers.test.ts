/**
 * The drivers the model accepts are the ones Debian's NUT packages install, each with its package:
 * every program those packages put in /lib/nut but upsd, the server. A driver the model lists under
 * the wrong package would be missing on the host; one a package has that the model lacks would be
 * refused for nothing. (.ci/run installs every package named here.)
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { basename } from "node:path";
import { test } from "node:test";
import { parseFleet, FleetConfigError } from "../../../../src/model/load";
import { nutDriverPackages } from "../../../../src/services/ups/drivers";
import { stackFleet } from "../../../support/stack-fleet";

const daemons = ["upsd"];

test("the model's NUT drivers are those Debian's packages install, each with its package", () => {
  const packages = [...new Set(Object.values(nutDriverPackages))];
  assert.ok(packages.includes("nut-server"));
  const installed: Record<string, string> = {};
  for (const pkg of packages) {
    const programs = execFileSync("dpkg", ["-L", pkg], { encoding: "utf8" })
      .split("\n")
      .filter((path) => /^\/lib\/nut\/[^/]+$/.test(path))
      .map((path) => basename(path))
      .filter((program) => !daemons.includes(program));
    assert.ok(programs.length > 0, `dpkg -L ${pkg} lists no driver`);
    for (const program of programs) installed[program] = pkg;
  }
  assert.equal(installed["usbhid-ups"], "nut-server");
  assert.deepEqual(nutDriverPackages, installed);
});

test("a driver name no package installs is refused, naming the field", () => {
  const raw = stackFleet("home");
  raw.hosts.lyra.services.ups = { ...raw.hosts.lyra.services.ups, driver: "usbhid_ups" };
  assert.throws(
    () => parseFleet(raw, "stacks/Pulumi.test.yaml"),
    (e: unknown) =>
      e instanceof FleetConfigError &&
      e.message.includes("hosts.lyra.services.ups.driver: expected a NUT driver Debian packages: adelsystem_cbi,"),
  );
});
