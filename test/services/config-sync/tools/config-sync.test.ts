/**
 * The rendered config sync in the real programs. rsync runs the rendered command line (as systemd
 * splits it) with a local source directory in place of `lyra-sync@<source>:./` and without
 * the remote shell, under the unit's UMask, as root like the unit: the target must end identical to
 * the source (contents, modes, owners, times, symlinks) with everything else deleted. The remote
 * shell part goes through OpenSSH itself: `ssh -G` must accept every option and resolve it to what
 * the pinning promises, and `ssh-keygen -F` must find the source host in the rendered known_hosts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { knownHostsPath, render, syncService } from "../../../../src/services/config-sync/render";
import { fileAt, unitValue } from "../../../render/fixtures";
import { onMirror } from "../../../render/mirror-fixtures";

const { fleet, fragment, unit: service } = onMirror(render, "config-sync", syncService);
const dir = mkdtempSync(join(tmpdir(), "lyra-config-sync-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** ExecStart= split the way systemd does for this line: whitespace, with double-quoted words. */
function splitExecStart(line: string): string[] {
  const words = line.match(/"[^"]*"|[^\s"]+/g) ?? [];
  return words.map((w) => (w.startsWith('"') ? w.slice(1, -1) : w));
}

function run(argv: string[], umask?: string) {
  const [command, ...args] = umask ? ["/bin/sh", "-c", `umask ${umask} && exec "$@"`, "sh", ...argv] : argv;
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 30_000 });
  if (r.error) throw new Error(`${argv[0]} could not run: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const argv = splitExecStart(unitValue(service, "Service", "ExecStart"));
const remote = "lyra-sync@vega.home.arpa:./";

test("systemd hands rsync: -a --delete, one -e word for ssh, the source host's tree and the same local path", () => {
  assert.deepEqual(argv.slice(0, 4), ["/usr/bin/rsync", "-a", "--delete", "-e"]);
  assert.deepEqual(argv.slice(5), [remote, "/opt/lyra/config/"]);
  assert.ok(argv[4].startsWith("/usr/bin/ssh "));
});

/** Everything about a tree that rsync -a promises to copy, keyed by relative path. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const path = join(root, rel);
    const st = lstatSync(path);
    const common = `mode=${(st.mode & 0o7777).toString(8)} owner=${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) out[rel || "."] = `link -> ${readlinkSync(path)} owner=${st.uid}:${st.gid}`;
    else if (st.isDirectory()) {
      out[rel || "."] = `dir ${common} mtime=${Math.floor(st.mtimeMs / 1000)}`;
      for (const name of readdirSync(path).sort()) walk(rel ? `${rel}/${name}` : name);
    } else
      out[rel] = `file ${common} mtime=${Math.floor(st.mtimeMs / 1000)} ${JSON.stringify(readFileSync(path, "utf8"))}`;
  };
  walk("");
  return out;
}

test("rsync with the rendered flags makes the target identical to the source and deletes the rest", () => {
  const src = join(dir, "source");
  const dst = join(dir, "target");
  const file = (root: string, rel: string, content: string, mode: number) => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), content, { mode });
  };
  file(src, "fleet.json", '{"hosts":[]}\n', 0o644);
  file(src, "prompts/wake.txt", "hey lyra\n", 0o640);
  file(src, "prompts/private/key-notes", "x\n", 0o600);
  file(src, "bin/hook.sh", "#!/bin/sh\n", 0o755);
  symlinkSync("fleet.json", join(src, "current.json"));
  chownSync(join(src, "prompts/wake.txt"), 1234, 4321); // kept by rsync -a because the unit runs as root
  utimesSync(join(src, "fleet.json"), new Date("2020-01-02T03:04:05Z"), new Date("2020-01-02T03:04:05Z"));
  for (const d of ["prompts/private", "prompts", "bin", ""])
    utimesSync(join(src, d), new Date("2021-06-01T00:00:00Z"), new Date("2021-06-01T00:00:00Z"));

  file(dst, "fleet.json", "stale\n", 0o600);
  file(dst, "prompts/wake.txt", "old words\n", 0o666);
  file(dst, "removed-upstream.txt", "gone\n", 0o644);
  file(dst, "old-dir/inside", "gone\n", 0o644);

  const local = argv
    .filter((_, i) => i !== 3 && i !== 4)
    .map((a) => (a === remote ? `${src}/` : a === "/opt/lyra/config/" ? `${dst}/` : a));
  assert.deepEqual(local, ["/usr/bin/rsync", "-a", "--delete", `${src}/`, `${dst}/`]);
  const umask = unitValue(service, "Service", "UMask");
  const first = run(local, umask);
  assert.equal(first.status, 0, first.out);
  assert.deepEqual(snapshot(dst), snapshot(src));
  assert.match(snapshot(dst)["prompts/wake.txt"], /mode=640 owner=1234:4321/);

  // The next run finds nothing to do and changes nothing.
  const second = run([...local.slice(0, 3), "--itemize-changes", ...local.slice(3)], umask);
  assert.equal(second.status, 0, second.out);
  assert.equal(second.out, "");
  assert.deepEqual(snapshot(dst), snapshot(src));
});

test("OpenSSH accepts the remote shell's options and resolves them to the pinning they promise", () => {
  // The credentials directory as systemd fills it: the key under its credential name.
  const credentials = join(dir, "credentials");
  mkdirSync(credentials, { recursive: true });
  assert.equal(
    run(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", join(credentials, "ssh-key")])
      .status,
    0,
  );
  const ssh = argv[4].replace("%d", credentials).split(" ");
  const r = run(["/usr/bin/ssh", "-G", ...ssh.slice(1), "lyra-sync@vega.home.arpa"]);
  assert.equal(r.status, 0, r.out);
  const values = (key: string) =>
    r.out
      .split("\n")
      .filter((l) => l.startsWith(`${key} `))
      .map((l) => l.slice(key.length + 1));
  assert.deepEqual(values("user"), ["lyra-sync"]);
  assert.deepEqual(values("hostname"), ["vega.home.arpa"]);
  assert.deepEqual(values("port"), ["22"]);
  assert.deepEqual(values("identityfile"), [`${credentials}/ssh-key`], "only the fleet's key, no default identities");
  assert.deepEqual(values("userknownhostsfile"), [knownHostsPath]);
  assert.deepEqual(values("globalknownhostsfile"), ["/dev/null"]);
  assert.deepEqual(values("stricthostkeychecking"), ["true"]);
  assert.deepEqual(values("batchmode"), ["yes"]);
  assert.deepEqual(values("connecttimeout"), ["10"]);
});

test("ssh-keygen finds the source host, with the model's key, in the rendered known_hosts", () => {
  const knownHosts = join(dir, "known_hosts");
  writeFileSync(knownHosts, fileAt(fragment, knownHostsPath).content);
  const r = run(["/usr/bin/ssh-keygen", "-F", "vega.home.arpa", "-f", knownHosts]);
  assert.equal(r.status, 0, r.out);
  const vegaKey = fleet.hosts
    .find((h) => h.name === "vega")!
    .ssh.hostKey.split(" ")
    .slice(0, 2)
    .join(" ");
  assert.ok(r.out.includes(`vega.home.arpa ${vegaKey}`), r.out);
  assert.notEqual(
    run(["/usr/bin/ssh-keygen", "-F", "lyra.home.arpa", "-f", knownHosts]).status,
    0,
    "no other host is trusted",
  );
});
