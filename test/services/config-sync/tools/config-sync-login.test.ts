/**
 * The mirrors' login on the config source, in the real programs (root on Debian 12):
 *
 * - systemd-sysusers, against a temporary root, creates the account from the rendered sysusers.d
 *   file as rendered (system uid, home, /bin/sh, password locked), and again changes nothing;
 *   systemd-analyze verify accepts lyra-accounts.service.
 * - ssh-keygen -y derives the same public key line as the resolved ssh-public-key token.
 * - A real sshd on a loopback port, configured as Debian ships it where it matters (UsePAM yes,
 *   StrictModes yes, ~/.ssh/authorized_keys), lets a throwaway account laid out exactly like the
 *   rendered one (same home layout, owners and modes, same locked password) log in with the
 *   rendered authorized_keys. The mirror's rendered rsync command, pointed at it, pulls the tree:
 *   files arrive, stale ones are deleted. A push, a path outside the tree and an interactive
 *   command are refused. With UsePAM no, sshd refuses the locked account (the README's warning).
 *
 * Needs openssh-server (sshd), rsync (rrsync), python3, systemd and passwd (useradd) installed.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";

import type { PlanFragment } from "../../../../src/render/plan";
import { resolveSecrets } from "../../../../src/render/secrets";
import {
  accountsService,
  authorizedKeysPath,
  render as renderSource,
  sysusersPath,
  syncHome,
} from "../../../../src/services/config-source/render";
import {
  knownHostsPath,
  render as renderSync,
  syncKeyPath,
  syncService,
} from "../../../../src/services/config-sync/render";
import { fileAt, fragmentOf, homeFleet, unitFile } from "../../../render/fixtures";
import { freePort } from "../../../support/free-port";
import { configSyncSshKeyKey } from "../../../../src/services/config-sync/secrets";

const testUser = "lyra-sync-test";
// Under /srv, not /tmp: the tree is the config source's path, and the model refuses a config
// source in /tmp (a local user could plant a symlink there that root's rsync --delete follows).
const dir = mkdtempSync(join("/srv", "lyra-sync-login-"));
// The account must reach its home below here, as sshd (and rrsync) run as that account.
chmodSync(dir, 0o755);
/** Vega's rendered login files, under a temporary root. */
const vega = join(dir, "vega");
/** The config source's tree (a real path: rrsync is restricted to it). */
const tree = join(dir, "config");
const mirror = join(dir, "mirror");

function run(command: string, args: string[], timeout = 60_000) {
  const r = spawnSync(command, args, { encoding: "utf8", timeout, killSignal: "SIGKILL" });
  if (r.error) throw new Error(`${command} could not run: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const removeTestUser = () => {
  if (run("getent", ["passwd", testUser]).status === 0)
    assert.equal(run("userdel", [testUser]).status, 0, `userdel ${testUser}`);
};
let sshd: { child: ChildProcess; log: string } | undefined;
let createdPrivsepDir = false;

async function stopSshd(): Promise<void> {
  const current = sshd;
  sshd = undefined;
  if (!current || current.child.exitCode !== null || current.child.signalCode !== null) return;
  const exited = new Promise((resolve) => current.child.once("exit", resolve));
  current.child.kill("SIGTERM");
  const timer = setTimeout(() => current.child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

after(async () => {
  await stopSshd();
  removeTestUser();
  if (createdPrivsepDir && readdirSync("/run/sshd").length === 0) rmdirSync("/run/sshd");
  rmSync(dir, { recursive: true, force: true });
});

/** Starts sshd on `port` with `usePam`; resolves once it accepts connections (10 s deadline). */
async function startSshd(port: number, usePam: boolean): Promise<void> {
  await stopSshd();
  const config = join(dir, `sshd_config-${usePam ? "pam" : "nopam"}`);
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(dir, "ssh_host_ed25519_key")}`,
      "PidFile none",
      // As Debian's sshd_config has them: PAM, strict modes, keys in ~/.ssh/authorized_keys.
      `UsePAM ${usePam ? "yes" : "no"}`,
      "StrictModes yes",
      "AuthorizedKeysFile .ssh/authorized_keys",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      `AllowUsers ${testUser}`,
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  const check = run("/usr/sbin/sshd", ["-t", "-f", config], 10_000);
  assert.equal(check.status, 0, check.out);
  const log = join(dir, `sshd-${usePam ? "pam" : "nopam"}.log`);
  const fd = openSync(log, "w");
  const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  sshd = { child, log };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.destroy(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (up) return;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`sshd did not start listening on ${port}:\n${readFileSync(log, "utf8")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** ExecStart= split the way systemd does for this line: whitespace, with double-quoted words. */
const splitExecStart = (line: string): string[] =>
  (line.match(/"[^"]*"|[^\s"]+/g) ?? []).map((w) => (w.startsWith('"') ? w.slice(1, -1) : w));

/** Writes planned directories and files under `root`, with their planned modes (owner: root, as planned). */
function place(root: string, fragment: PlanFragment, paths: string[], secrets: Record<string, string>) {
  for (const d of fragment.directories ?? []) {
    if (!paths.some((p) => p === d.path || p.startsWith(`${d.path}/`))) continue;
    assert.deepEqual([d.owner, d.group], ["root", "root"]);
    mkdirSync(join(root, d.path), { recursive: true });
    chmodSync(join(root, d.path), parseInt(d.mode, 8));
  }
  for (const path of paths) {
    const file = fileAt(fragment, path);
    assert.deepEqual([file.owner, file.group], ["root", "root"]);
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), resolveSecrets(file.content, secrets));
    chmodSync(join(root, path), parseInt(file.mode, 8));
  }
}

const tryRun = (argv: string[]) => run(argv[0], argv.slice(1), 60_000);
let port = 0;
let source: PlanFragment;
let sync: PlanFragment;
let secrets: Record<string, string>;
/** The ssh part of the mirror's command, pointed at the test sshd and account. */
let sshCommand = "";
let pull: string[] = [];
let passwd: string[] = [];

before(async () => {
  port = await freePort();
  assert.equal(
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test-vega", "-f", join(dir, "ssh_host_ed25519_key")])
      .status,
    0,
  );
  assert.equal(
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test-mirror", "-f", join(dir, "config-sync-key")])
      .status,
    0,
  );
  secrets = { [configSyncSshKeyKey]: readFileSync(join(dir, "config-sync-key"), "utf8") };
  const fleet = homeFleet((raw) => {
    raw.hosts.vega.ssh = {
      ...raw.hosts.vega.ssh,
      port,
      hostKey: readFileSync(join(dir, "ssh_host_ed25519_key.pub"), "utf8").trim(),
    };
    raw.hosts.vega.services = { ...raw.hosts.vega.services, "config-source": { path: tree } };
  });
  source = fragmentOf(renderSource, "config-source", fleet, "vega");
  sync = fragmentOf(renderSync, "config-sync", fleet, "mirror-1");
  place(vega, source, [sysusersPath, authorizedKeysPath], secrets);

  // The mirror's side: the key as LoadCredential= hands it over, the rendered known_hosts.
  place(join(dir, "credentials"), sync, [syncKeyPath], secrets);
  const known = fileAt(sync, knownHostsPath).content;
  assert.ok(known.startsWith(`[vega.home.arpa]:${port} ssh-ed25519 `), known);
  writeFileSync(join(dir, "known_hosts"), known.replace("vega.home.arpa", "127.0.0.1"));
  const argv = splitExecStart(unitFile(sync, syncService).match(/^ExecStart=(.*)$/m)![1]);
  assert.deepEqual(
    [...argv.slice(0, 4), ...argv.slice(5)],
    ["/usr/bin/rsync", "-a", "--delete", "-e", "lyra-sync@vega.home.arpa:./", `${tree}/`],
  );
  assert.ok(argv[4].includes(` -p ${port} `), argv[4]);
  sshCommand = argv[4]
    .replace("%d/ssh-key", join(dir, "credentials", syncKeyPath))
    .replace(`UserKnownHostsFile=${knownHostsPath}`, `UserKnownHostsFile=${join(dir, "known_hosts")}`);
  pull = [...argv.slice(0, 4), sshCommand, `${testUser}@127.0.0.1:./`, `${mirror}/`];

  // The account, as systemd-sysusers makes it from the rendered file, in the temporary root.
  const sysusers = run("systemd-sysusers", [`--root=${vega}`, join(vega, sysusersPath)]);
  assert.equal(sysusers.status, 0, sysusers.out);
  passwd = readFileSync(join(vega, "etc/passwd"), "utf8")
    .trim()
    .split("\n")
    .find((l) => l.startsWith("lyra-sync:"))!
    .split(":");

  // The login account on this machine: the same home layout (under the temporary root), shell and
  // locked password as the rendered one; only the name differs.
  removeTestUser();
  const shadow = readFileSync(join(vega, "etc/shadow"), "utf8")
    .split("\n")
    .find((l) => l.startsWith("lyra-sync:"))!
    .split(":");
  const add = run("useradd", [
    "--system",
    "--no-create-home",
    "--home-dir",
    join(vega, passwd[5]),
    "--shell",
    passwd[6],
    "--comment",
    passwd[4],
    testUser,
  ]);
  assert.equal(add.status, 0, add.out);
  assert.equal(run("usermod", ["--password", shadow[1], testUser]).status, 0);

  if (!existsSync("/run/sshd")) {
    // sshd's privilege separation directory (systemd's tmpfiles makes it on a booted host).
    mkdirSync("/run/sshd", { mode: 0o755 });
    createdPrivsepDir = true;
  }
});

test("systemd-sysusers creates the rendered account: a system user, its home, /bin/sh, password locked; a rerun changes nothing", () => {
  const [name, , uid, gid, comment, home, shell] = passwd;
  assert.deepEqual([name, comment, home, shell], ["lyra-sync", "lyra-fleet config sync", syncHome, "/bin/sh"]);
  assert.ok(Number(uid) > 0 && Number(uid) < 1000, `a system uid, got ${uid}`);
  assert.match(readFileSync(join(vega, "etc/group"), "utf8"), new RegExp(`^lyra-sync:x:${gid}:$`, "m"));
  // Locked ("!..."): no password login, and sshd without PAM refuses such an account outright.
  assert.match(readFileSync(join(vega, "etc/shadow"), "utf8"), /^lyra-sync:!/m);
  const before = readFileSync(join(vega, "etc/passwd"), "utf8");
  const again = run("systemd-sysusers", [`--root=${vega}`, join(vega, sysusersPath)]);
  assert.equal(again.status, 0, again.out);
  assert.equal(readFileSync(join(vega, "etc/passwd"), "utf8"), before, "restarting lyra-accounts.service is harmless");
});

test("systemd-analyze verify accepts lyra-accounts.service silently", () => {
  const units = join(dir, "units");
  mkdirSync(units, { recursive: true });
  writeFileSync(join(units, accountsService), unitFile(source, accountsService));
  const r = spawnSync("systemd-analyze", ["verify", `./${accountsService}`], {
    cwd: units,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.equal(`${r.stdout}${r.stderr}`, "");
});

test("ssh-keygen derives the same public key the token resolves to, from the mirror's key file", () => {
  const fromOpenSSH = run("ssh-keygen", ["-y", "-f", join(dir, "credentials", syncKeyPath)]);
  assert.equal(fromOpenSSH.status, 0, fromOpenSSH.out);
  const keys = readFileSync(join(vega, authorizedKeysPath), "utf8");
  assert.equal(
    keys,
    `restrict,command="/usr/bin/rrsync -ro ${tree}" ${fromOpenSSH.out.trim().split(" ").slice(0, 2).join(" ")} lyra-fleet config-sync\n`,
  );
  for (const [path, mode] of [
    [syncHome, 0o755],
    [`${syncHome}/.ssh`, 0o755],
    [authorizedKeysPath, 0o644],
  ] as const) {
    const st = statSync(join(vega, path));
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [mode, 0, 0], path);
  }
});

/** Everything about a tree that matters here: relative path, type, mode and content. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = join(root, rel, name);
      const st = statSync(path);
      const key = rel ? `${rel}/${name}` : name;
      if (st.isDirectory()) {
        out[key] = `dir ${(st.mode & 0o7777).toString(8)}`;
        walk(key);
      } else out[key] = `file ${(st.mode & 0o7777).toString(8)} ${readFileSync(path, "utf8")}`;
    }
  };
  walk("");
  return out;
}

test(
  "through a real sshd (UsePAM yes, StrictModes yes), the mirror's command pulls the tree and deletes what is gone",
  { timeout: 120_000 },
  async () => {
    await startSshd(port, true);
    // The tree as the config source renders it, plus a file an operator added.
    place("/", source, [`${tree}/README.md`, `${tree}/fleet.json`], {});
    mkdirSync(join(tree, "prompts"), { mode: 0o755 });
    writeFileSync(join(tree, "prompts/wake.txt"), "hey lyra\n", { mode: 0o644 });
    mkdirSync(join(mirror, "old-dir"), { recursive: true });
    writeFileSync(join(mirror, "old-dir/inside"), "gone\n");
    writeFileSync(join(mirror, "removed-upstream.txt"), "gone\n");
    writeFileSync(join(mirror, "fleet.json"), "stale\n");

    const first = tryRun(pull);
    assert.equal(first.status, 0, `${first.out}\n${readFileSync(sshd!.log, "utf8")}`);
    assert.deepEqual(snapshot(mirror), snapshot(tree));
    assert.deepEqual(Object.keys(snapshot(mirror)), ["README.md", "fleet.json", "prompts", "prompts/wake.txt"]);
    // The restriction came from the rendered authorized_keys, not from anything else.
    assert.match(
      readFileSync(sshd!.log, "utf8"),
      new RegExp(`forced-command \\(key-option\\) '/usr/bin/rrsync -ro ${tree}' for ${testUser}`),
    );

    rmSync(join(tree, "prompts"), { recursive: true });
    const second = tryRun(pull);
    assert.equal(second.status, 0, second.out);
    assert.deepEqual(
      Object.keys(snapshot(mirror)),
      ["README.md", "fleet.json"],
      "--delete removed what the source removed",
    );
  },
);

test(
  "the key can do nothing else: a push, a path outside the tree and an interactive command are refused",
  { timeout: 120_000 },
  async () => {
    if (!sshd) await startSshd(port, true);
    const treeBefore = snapshot(tree);
    writeFileSync(join(mirror, "pushed.txt"), "from a mirror\n");
    const push = tryRun([...pull.slice(0, 5), `${mirror}/`, `${testUser}@127.0.0.1:./`]);
    assert.notEqual(push.status, 0, push.out);
    assert.match(push.out, /read-only/);
    assert.deepEqual(snapshot(tree), treeBefore, "nothing written, nothing deleted");

    const escape = join(dir, "escape");
    mkdirSync(escape);
    const outside = tryRun([...pull.slice(0, 5), `${testUser}@127.0.0.1:../`, `${escape}/`]);
    assert.notEqual(outside.status, 0, outside.out);
    assert.deepEqual(readdirSync(escape), []);

    const ssh = sshCommand.split(" ");
    const id = tryRun([...ssh, `${testUser}@127.0.0.1`, "id"]);
    assert.notEqual(id.status, 0, id.out);
    assert.doesNotMatch(id.out, /uid=/);
    assert.match(id.out, /SSH_ORIGINAL_COMMAND does not run rsync/);
    // A login without a command gets rrsync too, never a shell.
    const shell = tryRun([...ssh, `${testUser}@127.0.0.1`]);
    assert.notEqual(shell.status, 0, shell.out);
    assert.match(shell.out, /rrsync error/);
  },
);

test(
  "with UsePAM no, sshd refuses the locked account even with the right key (the README's warning)",
  { timeout: 60_000 },
  async () => {
    await startSshd(port, false);
    const r = tryRun(pull);
    assert.notEqual(r.status, 0, r.out);
    assert.match(readFileSync(sshd!.log, "utf8"), new RegExp(`User ${testUser} not allowed because account is locked`));
    await stopSshd();
  },
);
