/** lyra-config-sync.service + .timer: the mirror pulls the config source with rsync over SSH, as rendered. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { requiredSecretKeys } from "../../../src/model/secrets";
import { resolveSecrets, secretKeysIn } from "../../../src/render/secrets";
import { knownHostsPath, render, syncKeyPath, syncService, syncTimer } from "../../../src/services/config-sync/render";
import { testSecretValues } from "../../support/test-secrets";
import {
  fileAt,
  fragmentOf,
  hardeningDeviations,
  homeFleet,
  renderedTexts,
  secretFiles,
  unitFile,
  unitNamed,
  unitValue,
  unitValues,
} from "../../render/fixtures";
import { onMirror, withMirrorSetting } from "../../render/mirror-fixtures";
import { configSyncSshKeyKey } from "../../../src/services/config-sync/secrets";

const { fleet, fragment, unit: service } = onMirror(render, "config-sync", syncService);
const timer = unitFile(fragment, syncTimer);
const vegaKey = fleet.hosts.find((h) => h.name === "vega")!.ssh.hostKey;

test("the command: rsync -a --delete over ssh with the credential key, the pinned known_hosts, batch mode and a timeout", () => {
  assert.equal(
    unitValue(service, "Service", "ExecStart"),
    '/usr/bin/rsync -a --delete -e "/usr/bin/ssh -i %d/ssh-key -o UserKnownHostsFile=/etc/lyra/config-sync/known_hosts ' +
      '-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10" ' +
      // "./": the root of what the source's rrsync serves this key, i.e. its config tree.
      "lyra-sync@vega.home.arpa:./ /opt/lyra/config/",
  );
  assert.equal(unitValue(service, "Service", "Type"), "oneshot");
  assert.deepEqual(unitValues(service, "Service", "LoadCredential"), [`ssh-key:${syncKeyPath}`]);
  assert.deepEqual(unitValues(service, "Install", "WantedBy"), [], "started by its timer only");
});

test("a failed sync runs again 30 s later, not an interval later", () => {
  assert.equal(unitValue(service, "Service", "Restart"), "on-failure");
  assert.equal(unitValue(service, "Service", "RestartSec"), "30s");
});

test("known_hosts pins the source host's key from the model, under the name ssh looks up", () => {
  const file = fileAt(fragment, knownHostsPath);
  assert.deepEqual([file.mode, file.owner], ["0644", "root"]);
  assert.equal(file.content, `vega.home.arpa ${vegaKey.split(" ").slice(0, 2).join(" ")}\n`);
  const otherPort = homeFleet((raw) => {
    raw.hosts.vega.ssh = { ...raw.hosts.vega.ssh, port: 2222, hostKey: `${raw.hosts.vega.ssh.hostKey} root@vega` };
  });
  const moved = fragmentOf(render, "config-sync", otherPort, "mirror-1");
  assert.equal(
    fileAt(moved, knownHostsPath).content,
    `[vega.home.arpa]:2222 ${vegaKey}\n`,
    "port in brackets, comment dropped",
  );
  assert.match(
    unitValue(unitFile(moved, syncService), "Service", "ExecStart"),
    /"\/usr\/bin\/ssh -i %d\/ssh-key -p 2222 -o /,
  );
});

test("the private key: a secret, 0600 root, loaded as a credential, required only when a host syncs", () => {
  assert.deepEqual(
    secretFiles(fragment).map((f) => [f.path, f.mode, f.owner]),
    [[syncKeyPath, "0600", "root"]],
  );
  const key = fileAt(fragment, syncKeyPath);
  assert.deepEqual(secretKeysIn(key.content), [configSyncSshKeyKey]);
  const secrets = testSecretValues([configSyncSshKeyKey]);
  assert.equal(
    resolveSecrets(key.content, secrets),
    `${secrets[configSyncSshKeyKey]}\n`,
    "ends with a newline, as OpenSSH wants",
  );
  for (const text of renderedTexts(fragment))
    assert.ok(!Object.values(secrets).some((value) => text.includes(value)), "a test secret in unresolved output");
  assert.ok(requiredSecretKeys(fleet).includes("config-sync-ssh-key"));
  const noSync = homeFleet((raw) => {
    for (const m of ["mirror-1", "mirror-2"]) raw.hosts[m].services = { "config-sync": { enabled: false } };
  });
  assert.ok(!requiredSecretKeys(noSync).includes("config-sync-ssh-key"));
});

test("source and target follow the model: the config source's path, on the host running it", () => {
  const moved = homeFleet((raw) => {
    raw.hosts.vega.services = { "config-source": { enabled: false } };
    raw.hosts.lyra.services = { ...raw.hosts.lyra.services, "config-source": { path: "/srv/lyra-config" } };
  });
  const f = fragmentOf(render, "config-sync", moved, "mirror-1");
  const unit = unitFile(f, syncService);
  assert.match(unitValue(unit, "Service", "ExecStart"), / lyra-sync@lyra\.home\.arpa:\.\/ \/srv\/lyra-config\/$/);
  assert.equal(unitValue(unit, "Service", "ReadWritePaths"), "/srv/lyra-config/");
  assert.match(fileAt(f, knownHostsPath).content, /^lyra\.home\.arpa ssh-ed25519 /);
  assert.ok(f.directories!.some((d) => d.path === "/srv/lyra-config"));
  const named = fragmentOf(render, "config-sync", withMirrorSetting("config-sync", { source: "vega" }), "mirror-1");
  assert.equal(unitFile(named, syncService), service, "naming the default source changes nothing");
});

test("the timer: first run as soon as it starts (boot, or the converge installing the mirror), then every intervalMinutes", () => {
  assert.equal(unitValue(timer, "Timer", "OnActiveSec"), "1s");
  assert.doesNotMatch(timer, /OnBootSec=/);
  assert.equal(unitValue(timer, "Timer", "OnUnitActiveSec"), "5min");
  assert.equal(unitValue(timer, "Install", "WantedBy"), "timers.target");
  const slow = fragmentOf(render, "config-sync", withMirrorSetting("config-sync", { intervalMinutes: 15 }), "mirror-1");
  assert.equal(unitValue(unitFile(slow, syncTimer), "Timer", "OnUnitActiveSec"), "15min");
  const [svc, tmr] = [unitNamed(fragment, syncService), unitNamed(fragment, syncTimer)];
  assert.deepEqual([svc.enabled, svc.active, svc.longRunning], [false, false, false]);
  assert.deepEqual([tmr.enabled, tmr.active, tmr.longRunning], [true, true, false]);
});

test("sandbox: root for rsync -a, with only the target writable, three capabilities, chown allowed, LAN only", () => {
  assert.equal(
    unitValues(service, "Service", "User").length + unitValues(service, "Service", "DynamicUser").length,
    0,
    "root",
  );
  assert.deepEqual(hardeningDeviations(service), {
    CapabilityBoundingSet: ["CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE"],
    SystemCallFilter: ["@system-service", "~@privileged @resources", "@chown"],
  });
  assert.equal(unitValue(service, "Service", "ReadWritePaths"), "/opt/lyra/config/");
  assert.equal(unitValue(service, "Service", "RestrictAddressFamilies"), "AF_INET AF_INET6 AF_UNIX");
  assert.equal(unitValue(service, "Service", "IPAddressDeny"), "any");
  assert.match(
    unitValue(service, "Service", "IPAddressAllow"),
    /^localhost link-local 10\.0\.0\.0\/8 172\.16\.0\.0\/12 192\.168\.0\.0\/16 /,
  );
  assert.deepEqual(fragment.packages, ["openssh-client", "rsync"]);
});

test("checks and recovery: the timer is active, the last run succeeded, and the runbook's start command", () => {
  assert.deepEqual(fragment.checks, [
    { kind: "unit", name: "mirror-1: lyra-config-sync.timer active", unit: syncTimer },
    {
      kind: "command",
      name: "mirror-1: last config sync succeeded",
      command: 'test "$(systemctl show -P Result lyra-config-sync.service)" = success',
    },
  ]);
  assert.ok(fragment.recovery!.flatMap((r) => r.commands).includes("systemctl start lyra-config-sync"));
});

test("what it pulls, for the docs' topology and mirror rebuild: the config source it syncs from, every intervalMinutes", () => {
  assert.deepEqual(fragment.pulls, [
    { service: "config-sync", what: "config sync", from: "vega:/opt/lyra/config/", everyMinutes: 5 },
  ]);
  const moved = homeFleet((raw) => {
    raw.hosts.vega.services = { "config-source": { enabled: false } };
    raw.hosts.lyra.services = { ...raw.hosts.lyra.services, "config-source": { path: "/srv/lyra-config" } };
    raw.hosts["mirror-1"].services = { ...raw.hosts["mirror-1"].services, "config-sync": { intervalMinutes: 15 } };
  });
  assert.deepEqual(fragmentOf(render, "config-sync", moved, "mirror-1").pulls, [
    { service: "config-sync", what: "config sync", from: "lyra:/srv/lyra-config/", everyMinutes: 15 },
  ]);
});
