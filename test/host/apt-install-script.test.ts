/**
 * The apt install script itself, run here by dash (Debian's /bin/sh, as on the hosts) with stand-ins
 * for apt-get, sleep and ls first on PATH, and the real coreutils `timeout` and `od`: which apt-get runs
 * it makes, with which options, and the random pause before a retried update. (The real apt-get on
 * real hosts: lab-apt-update-hang, lab-apt-nas.)
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { INSTALL_SCRIPT } from "../../src/host/resources/apt-packages";

const dir = mkdtempSync(join(tmpdir(), "apt-install-script-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const calls = join(dir, "calls");
const failures = join(dir, "failures");

// Logs each run's arguments; `install` fails and `update` fails while $failures counts them down.
writeFileSync(
  join(dir, "apt-get"),
  `#!/bin/sh
echo "apt-get $*" >> ${calls}
left=$(cat ${failures})
case " $* " in
  *" install "*|*" update "*)
    if [ "$left" -gt 0 ]; then echo $((left - 1)) > ${failures}; exit 100; fi ;;
esac
exit 0
`,
);
writeFileSync(join(dir, "sleep"), `#!/bin/sh\necho "sleep $*" >> ${calls}\n`);
// The host has package lists already (the script lists /var/lib/apt/lists/ to find out).
writeFileSync(join(dir, "ls"), `#!/bin/sh\necho deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages\n`);
for (const name of ["apt-get", "sleep", "ls"]) chmodSync(join(dir, name), 0o755);

/** Runs the script with `fail` failing apt-get runs first; what it ran, its stderr and exit code. */
function run(proxy: string, fail: number): { calls: string[]; stderr: string; status: number | null } {
  writeFileSync(calls, "");
  writeFileSync(failures, String(fail));
  const result = spawnSync("dash", ["-c", INSTALL_SCRIPT, "sh", proxy, "30", "tree"], {
    env: { PATH: `${dir}:/usr/bin:/bin` },
    encoding: "utf8",
  });
  return {
    calls: readFileSync(calls, "utf8").split("\n").filter(Boolean),
    stderr: result.stderr,
    status: result.status,
  };
}

/** What a logged run did: "apt-get update" (its options left out), or "sleep". */
const step = (line: string) =>
  line.startsWith("apt-get ") ? `apt-get ${line.replace(/^apt-get( -o \S+)* /, "").split(" ")[0]}` : "sleep";

/** The pause of each "sleep" call, as the script wrote it ("7.3"). */
const pauses = (lines: string[]) => lines.filter((l) => l.startsWith("sleep ")).map((l) => l.slice(6));

describe("the apt install script", () => {
  it("gives every apt-get run the proxy, and no proxy option at all without one", () => {
    // The install fails, the update that follows fails, its retry and the second install run.
    const through = run("http://nas.home.arpa:3142", 2);
    assert.equal(through.status, 0, through.stderr);
    const apt = through.calls.filter((l) => l.startsWith("apt-get "));
    assert.equal(apt.length, 4, apt.join("\n"));
    for (const line of apt) assert.match(line, /^apt-get -o Acquire::http::Proxy=http:\/\/nas\.home\.arpa:3142 /);
    const direct = run("", 2);
    assert.equal(direct.status, 0, direct.stderr);
    const plain = direct.calls.filter((l) => l.startsWith("apt-get "));
    assert.deepEqual(plain.map(step), ["apt-get install", "apt-get update", "apt-get update", "apt-get install"]);
    for (const line of plain) assert.doesNotMatch(line, /Proxy/);
  });

  it("pauses a random 2 to 15 s before it tries a failed update again, and says so", () => {
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      const { calls: ran, stderr, status } = run("", 2);
      assert.equal(status, 0, stderr);
      const [pause] = pauses(ran);
      assert.match(pause, /^\d+\.\d$/);
      assert.ok(Number(pause) >= 2 && Number(pause) <= 15, `pause ${pause} s`);
      assert.ok(stderr.includes(`apt-get update failed (exit code 100); trying once more in ${pause} s\n`), stderr);
      // The pause comes between the two updates.
      assert.deepEqual(ran.map(step), [
        "apt-get install",
        "apt-get update",
        "sleep",
        "apt-get update",
        "apt-get install",
      ]);
      seen.push(pause);
    }
    // Eight hosts retrying together do not all wait the same time (all eight equal: about 1 in 10^14).
    assert.ok(new Set(seen).size > 1, `pauses ${seen.join(", ")}`);
  });

  it("gives up after the second failed update, without a pause after it", () => {
    const { calls: ran, stderr, status } = run("", 3);
    assert.equal(status, 5);
    assert.equal(pauses(ran).length, 1);
    assert.match(stderr, /apt-get update failed \(exit code 100\); giving up$/m);
  });
});
