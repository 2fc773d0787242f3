/**
 * The lab's Docker host: vega boots with what dockerd needs inside systemd-nspawn (and only vega),
 * runs Debian's docker.io on overlay2 over a plain directory of the lab, and a wiped vega comes back
 * with no engine and no images, like a re-flashed SD card (the engine is not baked into the image).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ensureDockerEngine } from "./docker-host";
import { ensureLab, labDir, wipeHost, type Lab } from "./lab";

let lab: Lab;
const dockerDir = join(labDir, "hosts", "vega", "docker");

/** The running nspawn of a lab host: its command line and environment, as lab.sh started it. */
function nspawnOf(host: string): { argv: string[]; env: string[] } {
  const pid = readFileSync(join(labDir, "run", `host-${host}.nspawn.pid`), "utf8").trim();
  const read = (file: string) => readFileSync(`/proc/${pid}/${file}`, "utf8").split("\0").filter(Boolean);
  return { argv: read("cmdline"), env: read("environ") };
}

async function sh(command: string): Promise<string> {
  const result = await lab.sshExec("vega", command);
  assert.equal(result.code, 0, `vega: ${command}\n${result.stderr}`);
  return result.stdout.trim();
}

describe("vega's Docker engine in the lab", { timeout: 15 * 60_000 }, () => {
  before(async () => {
    lab = await ensureLab();
  });

  test("only vega's nspawn gets the Docker options: unified cgroups, writable /proc/sys/net, all capabilities, keyring and bpf, its storage bound", () => {
    const vega = nspawnOf("vega");
    for (const option of [
      "--capability=all",
      "--system-call-filter=@keyring bpf",
      `--bind=${dockerDir}:/var/lib/docker`,
    ])
      assert.ok(vega.argv.includes(option), `vega's nspawn has ${option}: ${vega.argv.join(" ")}`);
    assert.ok(vega.env.includes("SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1"));
    assert.ok(vega.env.includes("SYSTEMD_NSPAWN_API_VFS_WRITABLE=network"));
    for (const host of ["lyra", "mirror-1"]) {
      const other = nspawnOf(host);
      assert.ok(!other.argv.some((a) => a.startsWith("--capability") || a.startsWith("--bind")), other.argv.join(" "));
      assert.ok(!other.env.some((e) => e.startsWith("SYSTEMD_NSPAWN_")), `${host}'s nspawn environment`);
    }
  });

  test("dockerd runs on overlay2 over the lab's plain directory; `lab.sh wipe vega` leaves no engine and no Docker data", async () => {
    await ensureDockerEngine(lab, "vega", []);
    const info = await sh("docker info -f '{{.Driver}} {{.DockerRootDir}}'");
    assert.equal(info, "overlay2 /var/lib/docker");
    assert.notEqual(await sh("findmnt -n -o FSTYPE --target /var/lib/docker"), "overlay", "not on vega's overlay");
    await sh("docker volume create lab-wipe-marker >/dev/null");
    assert.ok(existsSync(join(dockerDir, "volumes", "lab-wipe-marker")), "the engine writes to the lab's directory");

    await wipeHost("vega");
    assert.deepEqual(readdirSync(dockerDir), [], "the wiped host's Docker storage is empty");
    assert.equal(await sh("ls -A /var/lib/docker"), "");
    const engine = await lab.sshExec("vega", "command -v dockerd");
    assert.notEqual(engine.code, 0, `a wiped vega has no engine until the fleet installs one: ${engine.stdout}`);
  });
});
