/** The UPS (NUT, standalone): config from the model, the monitor password as a secret, Debian's units. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { requiredSecretKeys } from "../../../src/model/secrets";
import { planFleet } from "../../../src/render/index";
import { resolveSecrets } from "../../../src/render/secrets";
import { render } from "../../../src/services/ups/render";
import { fileAt, fragmentOf, homeFleet, type RawFleet } from "../../render/fixtures";

const ups = (change?: (raw: RawFleet) => void) => fragmentOf(render, "ups", homeFleet(change), "lyra");
const content = (fragment: ReturnType<typeof ups>, name: string) => fileAt(fragment, `/etc/nut/${name}`).content;
/** Lines without the header comment, for exact comparisons. */
const body = (text: string) => text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));

test("standalone NUT for the model's UPS: driver and port from the stack, upsd on localhost only", () => {
  const fragment = ups(
    (raw) => (raw.hosts.lyra.services.ups = { name: "rack-ups", driver: "blazer_usb", device: "/dev/ttyUSB0" }),
  );
  assert.deepEqual(body(content(fragment, "nut.conf")), ["MODE=standalone"]);
  assert.deepEqual(body(content(fragment, "ups.conf")), [
    "maxretry = 3",
    "[rack-ups]",
    "    driver = blazer_usb",
    "    port = /dev/ttyUSB0",
    '    desc = "lyra\'s UPS"',
  ]);
  assert.deepEqual(body(content(fragment, "upsd.conf")), ["LISTEN 127.0.0.1 3493"]);
  assert.match(
    content(fragment, "upsmon.conf"),
    /^MONITOR rack-ups@localhost 1 upsmon "@@secret:ups-monitor-password@@" primary$/m,
  );
  assert.deepEqual(fragment.checks!.at(-1), {
    kind: "command",
    name: "lyra: UPS rack-ups on line power",
    command: "upsc rack-ups@localhost ups.status | grep -qw OL",
  });
  assert.equal(fragment.recovery![0].commands[0], "upsc rack-ups@localhost");
  // The recovery page's power stages: check the UPS before going on after a cut.
  assert.deepEqual(fragment.recovery![0].powerOn, { what: "the UPS", command: "upsc rack-ups@localhost" });
});

test("the monitor password is one secret in upsd.users and upsmon.conf, in files only root and nut can read", () => {
  const fragment = ups();
  const password = "ups-pass-1";
  const users = resolveSecrets(content(fragment, "upsd.users"), { "ups-monitor-password": password });
  const upsmon = resolveSecrets(content(fragment, "upsmon.conf"), { "ups-monitor-password": password });
  assert.deepEqual(body(users), ["[upsmon]", `    password = "${password}"`, "    upsmon primary"]);
  assert.match(upsmon, new RegExp(`^MONITOR lyra-ups@localhost 1 upsmon "${password}" primary$`, "m"));
  for (const file of fragment.files!) {
    assert.deepEqual([file.mode, file.owner, file.group], ["0640", "root", "nut"], file.path);
    if (!file.path.endsWith("upsd.users") && !file.path.endsWith("upsmon.conf"))
      assert.doesNotMatch(file.content, /@@secret/, file.path);
  }
});

test("each NUT daemon gets a sandbox drop-in keeping what it uses", () => {
  const dropIn = (fragment: ReturnType<typeof ups>, name: string) =>
    fragment.units!.find((u) => u.name === name)!.dropIn!;
  const fragment = ups();
  assert.match(dropIn(fragment, "nut-server.service"), /^User=nut$/m, "upsd needs no root");
  assert.match(dropIn(fragment, "nut-server.service"), /^CapabilityBoundingSet=$/m);
  assert.match(
    dropIn(fragment, "nut-monitor.service"),
    /^CapabilityBoundingSet=\nCapabilityBoundingSet=CAP_SETUID CAP_SETGID$/m,
  );
  assert.match(dropIn(fragment, "nut-monitor.service"), /^ReadWritePaths=\nReadWritePaths=\/run\/nut$/m);
  assert.match(
    content(fragment, "upsmon.conf"),
    /^POWERDOWNFLAG \/run\/nut\/killpower$/m,
    "the flag is where upsmon may write",
  );
  // The driver reaches the UPS: any USB device for `auto`, the named node for a serial UPS.
  const usb = dropIn(fragment, "nut-driver@lyra-ups.service");
  assert.match(usb, /^PrivateDevices=no$/m);
  assert.match(usb, /^DeviceAllow=\nDeviceAllow=char-usb_device rw$/m);
  assert.match(usb, /^RestrictAddressFamilies=\nRestrictAddressFamilies=AF_UNIX AF_NETLINK$/m);
  const serial = dropIn(
    ups((raw) => (raw.hosts.lyra.services.ups = { device: "/dev/ttyS0" })),
    "nut-driver@lyra-ups.service",
  );
  assert.match(serial, /^DeviceAllow=\nDeviceAllow=\/dev\/ttyS0 rw$/m);
  const network = dropIn(
    ups((raw) => (raw.hosts.lyra.services.ups = { driver: "snmp-ups", device: "ups.home.arpa" })),
    "nut-driver@lyra-ups.service",
  );
  assert.match(network, /^PrivateDevices=yes$/m);
  // snmp-ups is not nut-server's: its own package comes with it.
  assert.deepEqual(ups((raw) => (raw.hosts.lyra.services.ups = { driver: "snmp-ups" })).packages, [
    "nut-client",
    "nut-server",
    "nut-snmp",
  ]);
  assert.deepEqual(ups().packages, ["nut-client", "nut-server"]);
  assert.match(network, /^RestrictAddressFamilies=\nRestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX$/m);
});

test("each file restarts the Debian unit that reads it; the units themselves are the packages'", () => {
  const fragment = ups();
  const restarts = Object.fromEntries(fragment.files!.map((f) => [f.path, f.restarts]));
  assert.deepEqual(restarts, {
    "/etc/nut/nut.conf": ["nut-server.service", "nut-monitor.service"],
    "/etc/nut/ups.conf": ["nut-driver@lyra-ups.service", "nut-server.service"],
    "/etc/nut/upsd.conf": ["nut-server.service"],
    "/etc/nut/upsd.users": ["nut-server.service"],
    "/etc/nut/upsmon.conf": ["nut-monitor.service"],
  });
  assert.deepEqual(
    fragment.units!.map((u) => [u.name, u.content, u.enabled, u.active, u.longRunning]),
    [
      ["nut-server.service", null, true, true, true],
      ["nut-monitor.service", null, true, true, true],
      ["nut-driver@lyra-ups.service", null, true, true, true],
    ],
  );
  assert.deepEqual(fragment.packages, ["nut-client", "nut-server"]);
  assert.ok(fragment.checks!.some((c) => c.kind === "unit" && c.unit === "nut-driver@lyra-ups.service"));
});

test("placed only when the stack declares a UPS; its secret is required only then", () => {
  const withUps = homeFleet();
  assert.ok(requiredSecretKeys(withUps).includes("ups-monitor-password"));
  assert.ok(
    planFleet(withUps)
      .find((p) => p.host === "lyra")!
      .files.some((f) => f.path === "/etc/nut/upsd.users"),
  );

  const without = homeFleet((raw) => delete raw.hosts.lyra.services.ups);
  assert.ok(!requiredSecretKeys(without).includes("ups-monitor-password"));
  const lyra = planFleet(without).find((p) => p.host === "lyra")!;
  assert.ok(!lyra.files.some((f) => f.path.startsWith("/etc/nut/")));
  assert.ok(!lyra.packages.includes("nut-server"));
});
