/** Time sync: chrony points at the site's servers; servers on the home network are polled often. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { render } from "../../../src/services/timesync/render";
import { fragmentOf, homeFleet, fileAt } from "../../render/fixtures";

test("chrony.conf lists the site's NTP servers; LAN servers get short polls, public ones the defaults", () => {
  const fleet = homeFleet((raw) => (raw.site.ntpServers = ["vega.home.arpa", "0.debian.pool.ntp.org"]));
  const conf = fileAt(fragmentOf(render, "timesync", fleet, "mirror-1"), "/etc/chrony/chrony.conf");
  assert.match(conf.content, /^server vega\.home\.arpa iburst minpoll 2 maxpoll 6$/m);
  assert.match(conf.content, /^server 0\.debian\.pool\.ntp\.org iburst$/m);
  assert.deepEqual(conf.restarts, ["chrony.service"]);
  assert.match(conf.content, /^port 0$/m, "a mirror does not serve NTP");
});

test("a serving host answers the LAN and keeps its local clock as a last resort; a container never sets the clock", () => {
  const fleet = homeFleet((raw) => (raw.hosts.vega.services = { timesync: { serve: true, containerized: true } }));
  const fragment = fragmentOf(render, "timesync", fleet, "vega");
  const conf = fileAt(fragment, "/etc/chrony/chrony.conf").content;
  assert.match(conf, /^allow all$/m);
  assert.match(conf, /^local stratum 10$/m);
  assert.doesNotMatch(conf, /^port 0$/m);
  assert.deepEqual(fragment.ports, [{ port: 123, protocol: "udp", service: "timesync" }]);
  const unit = fragment.units!.find((u) => u.name === "chrony.service")!;
  assert.equal(unit.content, null, "Debian's own unit");
  assert.match(unit.dropIn!, /^ExecStart=\/usr\/sbin\/chronyd \$DAEMON_OPTS -U -x$/m);
  assert.match(unit.dropIn!, /^ConditionCapability=$/m);
  assert.match(
    unit.dropIn!,
    /^CapabilityBoundingSet=\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m,
    "no CAP_SYS_TIME in a container",
  );
});

test("chronyd starts as _chrony with only the clock and the NTP ports, Debian's wider grants reset", () => {
  const unit = fragmentOf(render, "timesync", homeFleet(), "mirror-1").units!.find((u) => u.name === "chrony.service")!;
  const dropIn = unit.dropIn!;
  // Debian's `ExecStart=!` would start it as root; an empty ExecStart= must come first.
  assert.match(dropIn, /^ExecStart=\nExecStart=\/usr\/sbin\/chronyd \$DAEMON_OPTS -U$/m);
  for (const key of ["CapabilityBoundingSet", "AmbientCapabilities"]) {
    assert.match(dropIn, new RegExp(`^${key}=\\n${key}=CAP_SYS_TIME CAP_NET_BIND_SERVICE$`, "m"), key);
  }
  assert.match(dropIn, /^ProtectClock=no$/m);
  assert.match(
    dropIn,
    /^SystemCallFilter=\nSystemCallFilter=@system-service @clock\nSystemCallFilter=~@chown @setuid @resources$/m,
  );
  for (const key of ["DeviceAllow", "ReadWritePaths"])
    assert.match(dropIn, new RegExp(`^${key}=$`, "m"), `${key} reset`);
  assert.doesNotMatch(dropIn, /^ConditionCapability=/m, "a real host keeps Debian's CAP_SYS_TIME condition");
});
