/**
 * What nodered renders for its editor: the admin password as a systemd credential, the files whose
 * change restarts Node-RED (so a changed watchdog or password reaches it at the next `pulumi up`),
 * the data set (the userDir), the secret's rules and the recovery commands that say how to reach
 * the editor. test/services/nodered/tools/editor.test.ts logs in to real Node-RED.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveSecrets, secretKeysIn } from "../../../src/render/secrets";
import { dataSetsOf } from "../../../src/render/index";
import { render } from "../../../src/services/nodered/render";
import { noderedAdminPasswordKey } from "../../../src/services/nodered/secrets";
import { requiredSecretKeys, secretValueProblems } from "../../../src/model/secrets";
import { fileAt, fragmentOf, homeFleet } from "../../render/fixtures";

const fragment = fragmentOf(render, "nodered", homeFleet(), "lyra");

test("the admin password is a 0600 root file holding only the secret's token, handed over as a credential", () => {
  const file = fileAt(fragment, "/etc/lyra/nodered/admin-password");
  assert.deepEqual([file.mode, file.owner, file.group], ["0600", "root", "root"]);
  assert.deepEqual(secretKeysIn(file.content), [noderedAdminPasswordKey]);
  assert.equal(resolveSecrets(file.content, { [noderedAdminPasswordKey]: "pw 'x' \"y\" 1234" }), "pw 'x' \"y\" 1234");
  for (const other of fragment.files!.filter((f) => f.path !== file.path))
    assert.ok(!secretKeysIn(other.content).includes(noderedAdminPasswordKey), `${other.path} names the admin password`);
});

test("a change to settings, storage, the watchdog or a secret restarts Node-RED", () => {
  for (const path of [
    "/etc/lyra/nodered/settings.js",
    "/etc/lyra/nodered/fleet-storage.js",
    "/etc/lyra/nodered/flows.json",
    "/etc/lyra/nodered/flows_cred.json",
    "/etc/lyra/nodered/credential-secret",
    "/etc/lyra/nodered/admin-password",
  ])
    assert.deepEqual(fileAt(fragment, path).restarts, ["nodered.service"], path);
});

test("the watchdog tab is locked in the editor and says where its changes belong", () => {
  const flows = JSON.parse(fileAt(fragment, "/etc/lyra/nodered/flows.json").content) as Record<string, unknown>[];
  const tab = flows.find((n) => n.type === "tab")!;
  assert.equal(tab.locked, true);
  assert.match(String(tab.info), /Managed by lyra-fleet from the stack/);
});

test("the data set is the whole userDir, backed up and restored before Node-RED starts", () => {
  const lyra = homeFleet().hosts.find((h) => h.name === "lyra")!;
  const nodered = dataSetsOf(lyra).filter((d) => d.service === "nodered");
  assert.deepEqual(
    nodered.map((d) => [d.path, d.backup]),
    // Nothing in it is written by pulumi up any more: flows_cred.json holds the editor's credentials.
    [["/var/lib/nodered", { id: "nodered", unit: "nodered.service" }]],
  );
  assert.equal(nodered[0].note, "flows and credentials deployed from the editor");
});

test("the admin password is a required secret of every stack running nodered, one line of 12 characters or more", () => {
  assert.ok(requiredSecretKeys(homeFleet()).includes(noderedAdminPasswordKey));
  const without = homeFleet((raw) => (raw.hosts.lyra.services.nodered = { enabled: false }));
  assert.ok(!requiredSecretKeys(without).includes(noderedAdminPasswordKey));
  assert.deepEqual(secretValueProblems({ [noderedAdminPasswordKey]: "a good long password" }), []);
  assert.deepEqual(secretValueProblems({ [noderedAdminPasswordKey]: "short-pw" }), [
    "secret 'noderedAdminPassword' is shorter than 12 characters (expected a password the LAN cannot guess, e.g. openssl rand -base64 18)",
  ]);
  const problems = secretValueProblems({ [noderedAdminPasswordKey]: "a good long password\n" });
  assert.deepEqual(problems, ["secret 'noderedAdminPassword' holds a line break (expected one line)"]);
  assert.ok(!problems.join("").includes("good long"), "the value is never in a message");
});

test("the recovery commands say how to reach the editor and where its password comes from", () => {
  const custom = fragmentOf(
    render,
    "nodered",
    homeFleet((raw) => (raw.hosts.lyra.services.nodered = { port: 1990 })),
    "lyra",
  );
  const commands = custom.recovery![0].operatorCommands!;
  assert.ok(
    commands.includes(
      "# The editor: http://lyra.home.arpa:1990/ (user admin; password: the stack secret noderedAdminPassword)",
    ),
    commands.join("\n"),
  );
  // From the operator's machine: lyra at its address, the password read from the stack as the command runs.
  const login = commands.find((c) => c.includes("/auth/token"))!;
  assert.match(login, /^curl -fsS .* http:\/\/192\.168\.1\.10:1990\/auth\/token /);
  assert.match(
    login,
    /--data-urlencode username=admin --data-urlencode password="\$\(pulumi config get --stack <stack> noderedAdminPassword\)"$/,
  );
});
