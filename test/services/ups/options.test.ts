/** The UPS's `device`: a USB, serial or network UPS as NUT's drivers take it; anything else is refused, naming the field. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FleetConfigError, parseFleet } from "../../../src/model/load";
import { stackFleet } from "../../support/stack-fleet";

const source = "stacks/Pulumi.test.yaml";

function withDevice(device: string): () => unknown {
  return () => {
    const raw = stackFleet("home");
    raw.hosts.lyra.services.ups = { ...raw.hosts.lyra.services.ups, device };
    return parseFleet(raw, source);
  };
}

test("a USB, serial or network UPS is taken as written", () => {
  for (const device of [
    "auto",
    "/dev/ttyUSB0",
    "ups.home.arpa",
    "10.0.0.5:161",
    "http://ups.home.arpa/",
    "https://10.0.0.5:8443/upsxml",
    "upsname@10.0.0.5:3493",
  ])
    assert.doesNotThrow(withDevice(device), device);
});

test("a device NUT's drivers cannot reach is refused, naming the field and why", () => {
  const cases: [string, string][] = [
    ["/etc/nut/ups.conf", "/etc/nut/ups.conf is not under /dev/"],
    ["/dev/../etc/shadow", "expected a normalized path"],
    ["../ttyS0", "expected an IPv4 address or a DNS name"],
    ["-rf", "expected an IPv4 address or a DNS name"],
    ["0.0.0.0", "0.0.0.0 names no host"],
    ["10.0.0.5:0", "the port must be 1-65535"],
    ["a:b:c", "expected host or host:port"],
  ];
  for (const [device, why] of cases) {
    assert.throws(withDevice(device), (e: unknown) => {
      assert.ok(e instanceof FleetConfigError, String(e));
      assert.match(
        e.message,
        /\n {2}- hosts\.lyra\.services\.ups\.device: expected auto \(USB\), a device under \/dev\//,
      );
      assert.ok(e.message.includes(why), `${device}: ${e.message}`);
      return true;
    });
  }
});
