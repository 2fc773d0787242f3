/**
 * What bench/ansible/playbook.yml converges, generated from a render (`npm run render -- --stack
 * lab --out DIR --show-secrets`): an ansible.cfg, an inventory of one host and its host_vars, so
 * that Ansible puts the very files of the render on the host, with the manifest's modes, owners,
 * packages and unit states. Ansible's ssh, sftp and scp are bench/ansible/count-ssh.sh, which logs
 * each invocation.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Manifest } from "../../src/cli/render-tree";

export const playbookPath = join(__dirname, "playbook.yml");
const countingWrapper = join(__dirname, "count-ssh.sh");

/** How Ansible reaches the host: the same address, user, key and pinned host key as lyra-fleet. */
export interface AnsibleTarget {
  host: string;
  address: string;
  port: number;
  user: string;
  privateKeyPath: string;
  knownHostsPath: string;
}

/** The generated files, and where each ansible-playbook run should log its SSH commands. */
export interface AnsibleInventory {
  dir: string;
  config: string;
  inventory: string;
  /** Control sockets of this inventory's runs (closed after each run, so no run inherits one). */
  controlDir: string;
}

type ManifestHost = Manifest["hosts"][number];

/** A unit with an [Install] section (or a packaged one): enabling or disabling it means something. */
function switchable(renderDir: string, host: ManifestHost, unit: ManifestHost["units"][number]): boolean {
  if (unit.packaged) return true;
  const text = readFileSync(join(renderDir, host.host, "etc", "systemd", "system", unit.name), "utf8");
  return /^\[Install\]/m.test(text);
}

/** The playbook's variables for one host of the manifest. */
export function hostVars(renderDir: string, manifest: Manifest, hostName: string): Record<string, unknown> {
  const host = manifest.hosts.find((h) => h.host === hostName);
  if (!host) throw new Error(`the render in ${renderDir} has no host '${hostName}'`);
  if (!manifest.secretsShown)
    throw new Error(`the render in ${renderDir} masks its secrets: render with --show-secrets for Ansible`);
  return {
    peer_packages: host.packages,
    peer_directories: host.directories,
    // lyra-fleet creates a file's missing parents (/etc/sysusers.d on a fresh host); copy does not.
    peer_parent_directories: [...new Set(host.files.map((f) => dirname(f.path)))]
      .filter((dir) => !host.directories.some((d) => d.path === dir))
      .sort(),
    peer_files: host.files.map((f) => ({
      path: f.path,
      src: join(renderDir, host.host, f.path),
      mode: f.mode,
      owner: f.owner,
      group: f.group,
      secret: f.secret,
      restarts: f.restarts,
    })),
    peer_units: host.units.map((u) => ({
      name: u.name,
      enabled: u.enabled,
      active: u.active,
      switchable: switchable(renderDir, host, u),
    })),
  };
}

/** Writes ansible.cfg, the inventory and host_vars for `target` into `dir` (replacing it). */
export function writeAnsibleInventory(renderDir: string, target: AnsibleTarget, dir: string): AnsibleInventory {
  const manifest = JSON.parse(readFileSync(join(renderDir, "manifest.json"), "utf8")) as Manifest;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "host_vars"), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, "bin"));
  const controlDir = join(dir, "cp");
  mkdirSync(controlDir);
  for (const program of ["ssh", "sftp", "scp"]) symlinkSync(countingWrapper, join(dir, "bin", program));

  writeFileSync(
    join(dir, "host_vars", `${target.host}.json`),
    JSON.stringify(hostVars(renderDir, manifest, target.host)),
  );
  const inventory = join(dir, "inventory.ini");
  writeFileSync(
    inventory,
    `${target.host} ansible_host=${target.address} ansible_port=${target.port} ansible_user=${target.user} ` +
      `ansible_ssh_private_key_file=${target.privateKeyPath}\n`,
  );
  const config = join(dir, "ansible.cfg");
  writeFileSync(
    config,
    [
      "[defaults]",
      `inventory = ${inventory}`,
      // No interpreter discovery (one more command per run): the lab's root has Debian's python3.
      "interpreter_python = /usr/bin/python3",
      "host_key_checking = True",
      "retry_files_enabled = False",
      "forks = 5",
      "",
      "[ssh_connection]",
      // The reference figure is with pipelining: module code over stdin, no temp files.
      "pipelining = True",
      `ssh_executable = ${join(dir, "bin", "ssh")}`,
      `sftp_executable = ${join(dir, "bin", "sftp")}`,
      `scp_executable = ${join(dir, "bin", "scp")}`,
      `control_path_dir = ${controlDir}`,
      // Ansible's own defaults (a shared connection kept 60 s), plus the host key lyra-fleet pins too.
      "ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o IdentitiesOnly=yes " +
        `-o StrictHostKeyChecking=yes -o UserKnownHostsFile=${target.knownHostsPath} -o GlobalKnownHostsFile=/dev/null`,
      "",
    ].join("\n"),
  );
  return { dir, config, inventory, controlDir };
}
