/**
 * The config source renderer: the /opt/lyra/config tree (README.md, fleet.json) the mirrors pull,
 * and the mirrors' login there (the lyra-sync account, its rrsync-only key). The login's real
 * programs (systemd-sysusers, sshd, rrsync, the mirror's rsync) are in test/services/config-sync/tools/config-sync-login.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { requiredSecretKeys } from "../../../src/model/secrets";
import { maskSecrets, resolveSecrets, secretKeysIn } from "../../../src/render/secrets";
import { triggerFiles } from "../../../src/fleet/order";
import { planUnit, type ObservedUnit } from "../../../src/host/resources/systemd-state";
import { planFleet } from "../../../src/render";
import { render } from "../../../src/services/config-source/render";
import { render as renderSync, syncService } from "../../../src/services/config-sync/render";
import { testSshKey } from "../../support/ssh-test-key";
import { fileAt, fragmentOf, homeFleet, unitValues } from "../../render/fixtures";
import { configSyncSshKeyKey } from "../../../src/services/config-sync/secrets";

const fragment = () => fragmentOf(render, "config-source", homeFleet(), "vega");
const inTree = (path: string) => path.startsWith("/opt/lyra/config");

test("the tree: a world-readable directory with README.md and fleet.json, nothing restarted", () => {
  const f = fragment();
  assert.deepEqual(
    f.directories!.filter((d) => inTree(d.path)),
    [{ path: "/opt/lyra/config", mode: "0755", owner: "root", group: "root" }],
  );
  assert.deepEqual(
    f
      .files!.filter((file) => inTree(file.path))
      .map((file) => [file.path, file.mode, file.owner, file.restarts.length]),
    [
      ["/opt/lyra/config/README.md", "0644", "root", 0],
      ["/opt/lyra/config/fleet.json", "0644", "root", 0],
    ],
  );
  // The mirrors pull with rsync over SSH; the source's end of it is rrsync, a Python script.
  assert.deepEqual(f.packages, ["openssh-server", "rsync", "python3"]);
  assert.ok(f.checks!.some((c) => c.kind === "unit" && c.unit === "ssh.service"));
  assert.ok(f.recovery![0].commands.includes("id lyra-sync"));
});

test("fleet.json describes the fleet for the mirrors: broker, orchestrator, hosts, topics; no secrets", () => {
  const fleet = homeFleet();
  const json = fileAt(fragment(), "/opt/lyra/config/fleet.json").content;
  assert.deepEqual(secretKeysIn(json), []);
  assert.doesNotMatch(json, /password|@@secret/i);
  const d = JSON.parse(json);
  assert.deepEqual(d.broker, { host: "vega.home.arpa", port: 1883 });
  assert.deepEqual(d.orchestrator, { host: "lyra.home.arpa", url: "http://lyra.home.arpa:8000" });
  assert.deepEqual(d.configSource, { host: "vega.home.arpa", path: "/opt/lyra/config" });
  assert.deepEqual(
    d.hosts.map((h: { name: string }) => h.name),
    fleet.hosts.map((h) => h.name),
  );
  const mirror = d.hosts.find((h: { name: string }) => h.name === "mirror-1");
  assert.deepEqual(mirror, {
    name: "mirror-1",
    fqdn: "mirror-1.home.arpa",
    role: "mirror",
    mqttUser: "mirror-1",
    services: [
      "backup",
      "config-sync",
      "health-publisher",
      "lyra-client",
      "mqtt-client",
      "node-exporter",
      "stt-service",
      "timesync",
    ],
  });
  assert.equal(d.topics.presence, "lyra/presence/<host>");
  assert.equal(json, fileAt(fragment(), "/opt/lyra/config/fleet.json").content, "deterministic");
  assert.ok(json.endsWith("}\n"));
});

test("README.md gives the mirrors' exact rsync command and account, and warns against secrets", () => {
  const readme = fileAt(fragment(), "/opt/lyra/config/README.md").content;
  assert.ok(readme.includes("rsync -a --delete lyra-sync@vega.home.arpa:./ /opt/lyra/config/"));
  assert.ok(readme.includes('restrict,command="/usr/bin/rrsync -ro /opt/lyra/config"'));
  assert.match(readme, /Mirrors syncing from here: mirror-1, mirror-2\./);
  assert.match(readme, /Never put a secret here/);
  assert.match(
    readme,
    /lyra-fleet creates the `lyra-sync` account \(\/etc\/sysusers\.d\/lyra-sync\.conf,\napplied by lyra-accounts\.service\)/,
  );
  assert.match(readme, /must keep Debian's `UsePAM yes`/, "the one sshd setting the locked account depends on");
  assert.doesNotMatch(readme, /by hand/);
});

test("another path and another host are followed; no orchestrator gives null", () => {
  const fleet = homeFleet((raw) => {
    raw.hosts.vega.services = { "config-source": { enabled: false } };
    raw.hosts.lyra.services = {
      "config-source": { path: "/srv/lyra-config" },
      "lyra-orchestrator": { enabled: false },
    };
  });
  const f = fragmentOf(render, "config-source", fleet, "lyra");
  assert.deepEqual(
    f.files!.filter((file) => file.path.startsWith("/srv/")).map((file) => file.path),
    ["/srv/lyra-config/README.md", "/srv/lyra-config/fleet.json"],
  );
  assert.ok(
    fileAt(f, "/srv/lyra-config/README.md").content.includes(
      "rsync -a --delete lyra-sync@lyra.home.arpa:./ /srv/lyra-config/",
    ),
  );
  assert.match(
    fileAt(f, "/var/lib/lyra-sync/.ssh/authorized_keys").content,
    /^restrict,command="\/usr\/bin\/rrsync -ro \/srv\/lyra-config" /,
  );
  const d = JSON.parse(fileAt(f, "/srv/lyra-config/fleet.json").content);
  assert.equal(d.orchestrator, null);
  assert.deepEqual(d.configSource, { host: "lyra.home.arpa", path: "/srv/lyra-config" });
});

const login = {
  sysusers: "/etc/sysusers.d/lyra-sync.conf",
  home: "/var/lib/lyra-sync",
  authorizedKeys: "/var/lib/lyra-sync/.ssh/authorized_keys",
  unit: "lyra-accounts.service",
};

test("mirrors syncing from here get a login: lyra-sync by systemd-sysusers, run by a oneshot unit the file restarts", () => {
  const f = fragment();
  const sysusers = fileAt(f, login.sysusers);
  assert.equal(sysusers.content, 'u lyra-sync - "lyra-fleet config sync" /var/lib/lyra-sync /bin/sh\n');
  assert.deepEqual(
    [sysusers.mode, sysusers.owner, sysusers.group, sysusers.restarts],
    ["0644", "root", "root", [login.unit]],
  );
  const unit = f.units!.find((u) => u.name === login.unit)!;
  assert.deepEqual(
    { ...unit, content: undefined },
    { name: login.unit, content: undefined, enabled: true, active: true, longRunning: false, after: [] },
  );
  assert.deepEqual(unitValues(unit.content!, "Service", "Type"), ["oneshot"]);
  // Active (exited) after it ran: SystemdUnit's `active` holds, a restart runs it again.
  assert.deepEqual(unitValues(unit.content!, "Service", "RemainAfterExit"), ["yes"]);
  assert.deepEqual(unitValues(unit.content!, "Service", "ExecStart"), [`/usr/bin/systemd-sysusers ${login.sysusers}`]);
  assert.deepEqual(unitValues(unit.content!, "Install", "WantedBy"), ["multi-user.target"]);
  assert.deepEqual(f.checks!.slice(1), [
    { kind: "unit", name: "vega: lyra-accounts.service active", unit: login.unit },
    { kind: "command", name: "vega: lyra-sync account exists", command: "getent passwd lyra-sync" },
  ]);
  const recovery = f.recovery![0].commands;
  assert.ok(
    recovery.includes("systemctl restart lyra-accounts") && recovery.includes("sshd -T | grep -i '^usepam'"),
    recovery.join("\n"),
  );
});

test("the account's home and authorized_keys are root's (StrictModes), the key may only run rrsync read-only", () => {
  const f = fragment();
  assert.deepEqual(
    f.directories!.filter((d) => d.path.startsWith(login.home)),
    [
      { path: login.home, mode: "0755", owner: "root", group: "root" },
      { path: `${login.home}/.ssh`, mode: "0755", owner: "root", group: "root" },
    ],
  );
  const keys = fileAt(f, login.authorizedKeys);
  assert.deepEqual([keys.mode, keys.owner, keys.group, keys.restarts], ["0644", "root", "root", []]);
  assert.deepEqual(secretKeysIn(keys.content), [configSyncSshKeyKey]);
  assert.equal(
    maskSecrets(keys.content),
    'restrict,command="/usr/bin/rrsync -ro /opt/lyra/config" <ssh-public-key of secret config-sync-ssh-key> lyra-fleet config-sync\n',
  );
  const key = testSshKey();
  const resolved = resolveSecrets(keys.content, { [configSyncSshKeyKey]: key.privateKey });
  assert.equal(
    resolved,
    `restrict,command="/usr/bin/rrsync -ro /opt/lyra/config" ${key.publicKey} lyra-fleet config-sync\n`,
  );
  assert.ok(!resolved.includes("PRIVATE"), "only the public half");
  assert.equal(JSON.stringify(fragment()), JSON.stringify(f), "deterministic");
});

test("the mirrors' command and the source's restriction agree: ./ of rrsync's root, the same tree, --delete", () => {
  for (const [fleet, host, tree] of [
    [homeFleet(), "vega", "/opt/lyra/config"],
    [
      homeFleet((raw) => {
        raw.hosts.vega.services = { "config-source": { enabled: false } };
        raw.hosts.lyra.services = { ...raw.hosts.lyra.services, "config-source": { path: "/srv/lyra-config" } };
      }),
      "lyra",
      "/srv/lyra-config",
    ],
  ] as const) {
    const keys = fileAt(fragmentOf(render, "config-source", fleet, host), login.authorizedKeys).content;
    const rrsync = /command="([^"]*)"/.exec(keys)![1].split(" ");
    // -ro alone: no -wo, no -no-del (rrsync's -ro refuses deletes on the server, which a pull does not ask for).
    assert.deepEqual(rrsync, ["/usr/bin/rrsync", "-ro", tree]);
    const sync = fragmentOf(renderSync, "config-sync", fleet, "mirror-1");
    const exec = unitValues(sync.units!.find((u) => u.name === syncService)!.content!, "Service", "ExecStart")[0];
    assert.match(exec, /^\/usr\/bin\/rsync -a --delete -e "[^"]+" (\S+) (\S+)$/);
    const [, from, to] = /" (\S+) (\S+)$/.exec(exec)!;
    assert.equal(from, `lyra-sync@${host}.home.arpa:./`, "the root of what rrsync serves, in every rrsync version");
    assert.equal(to, `${tree}/`, "into the same tree on the mirror");
  }
});

test("no mirror syncs from here: no account, no key, no unit, and the key secret is not required", () => {
  const fleet = homeFleet((raw) => {
    for (const m of ["mirror-1", "mirror-2"]) raw.hosts[m].services = { "config-sync": { enabled: false } };
  });
  const f = fragmentOf(render, "config-source", fleet, "vega");
  assert.deepEqual(
    f.files!.map((file) => file.path),
    ["/opt/lyra/config/README.md", "/opt/lyra/config/fleet.json"],
  );
  assert.deepEqual(
    f.directories!.map((d) => d.path),
    ["/opt/lyra/config"],
  );
  assert.deepEqual([f.units, f.packages], [[], ["openssh-server", "rsync"]]);
  assert.ok(!f.recovery![0].commands.includes("id lyra-sync"));
  assert.match(
    fileAt(f, "/opt/lyra/config/README.md").content,
    /No mirror syncs from here, so lyra-fleet creates no `lyra-sync` account on vega\./,
  );
  assert.ok(!requiredSecretKeys(fleet).includes(configSyncSshKeyKey));
});

test("in vega's whole plan: the unit is installed after its files, and the sysusers file is its one restart trigger", () => {
  const plan = planFleet(homeFleet()).find((p) => p.host === "vega")!;
  const unit = plan.units.find((u) => u.name === login.unit)!;
  assert.deepEqual(triggerFiles(unit, plan), [login.sysusers]);
  assert.deepEqual(plan.unitOrder[unit.name], []);
  assert.ok(plan.packages.includes("python3") && plan.packages.includes("rsync"));
  // SystemdUnit's plan for the oneshot: "active (exited)" counts as active; a changed file re-runs it.
  const observed = {
    unitFile: { exists: true, type: "file", sha256: "u" },
    dropIn: { exists: false },
    loadState: "loaded",
    activeState: "active",
    subState: "exited",
    unitFileState: "enabled",
    needsDaemonReload: false,
  } as unknown as ObservedUnit;
  const desired = { content: unit.content, enabled: true, active: true };
  assert.equal(
    planUnit(observed, desired, { unitFile: "u", dropIn: "" }, false).startAction,
    "none",
    "a no-op stays a no-op",
  );
  assert.equal(planUnit(observed, desired, { unitFile: "u", dropIn: "" }, true).startAction, "restart");
  assert.equal(
    planUnit({ ...observed, activeState: "inactive", subState: "dead" }, desired, { unitFile: "u", dropIn: "" }, false)
      .startAction,
    "start",
  );
});

test("what it serves the fleet, for the docs: the tree, and the mirrors need its host powered on first", () => {
  assert.deepEqual(fragment().serves, [
    {
      service: "config-source",
      summary: "config source /opt/lyra/config/",
      powerFirst: { name: "config source", why: "the mirrors sync their config from here" },
    },
  ]);
});
