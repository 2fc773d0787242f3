/**
 * The lab for tests: three real systemd fleet hosts (systemd-nspawn) and the NAS, reachable over SSH
 * on loopback addresses. `ensureLab()` brings it up through `test/lab/lab.sh up` (idempotent) and
 * describes it. The NAS (`nas`, lab infrastructure, not a fleet host) serves the SFTP backup
 * repository root, the artifact share and a container registry holding the broker image
 * ({@link labNas}, {@link labImages}).
 *
 *   const lab = await ensureLab();
 *   const { code, stdout } = await lab.sshExec("vega", "systemctl is-active ssh");
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

export const labDir = process.env.LYRA_LAB_DIR ?? "/var/lib/lyra-fleet-lab";
const labSource = __dirname;
const labScript = path.join(labSource, "lab.sh");

/** How long a lab command may take: a first `up` builds the Debian root (about a minute). */
const LAB_COMMAND_TIMEOUT_MS = 20 * 60_000;
const SSH_TIMEOUT_MS = 5 * 60_000;

/** The committed hosts; extra mirrors (`mirror-2`...) exist only after {@link setLabMirrors}. */
export type LabHostName = "lyra" | "vega" | "mirror-1" | "nas";

/** The NAS of the lab: what the fleet's stack file and secrets point at (test/lab/lib/nas.sh). */
export const labNas = {
  host: "nas" as const,
  fqdn: "nas.lab.home.arpa",
  /** The fleet's account on the NAS: SFTP only. */
  user: "lyra",
  /** Its committed throwaway private key (the lab stack's `nasSshKey`); git keeps it 0644. */
  clientKeyFixture: path.join(labSource, "nas-account", "id_ed25519"),
  /** The same key, 0600, as ssh and sftp want it (written by `lab.sh up`). */
  clientKeyPath: () => path.join(labDir, "nas-account-key"),
  /** The NAS's pinned host key, `ssh-ed25519 AAAA...`. */
  hostKey: () =>
    readFileSync(path.join(labSource, "hostkeys", "nas", "ssh_host_ed25519_key.pub"), "utf8")
      .trim()
      .split(/\s+/)
      .slice(0, 2)
      .join(" "),
  backupsPath: "/srv/lyra-backups",
  artifactsPath: "/srv/lyra-artifacts",
  artifactsUrl: "http://nas.lab.home.arpa:8081",
  registry: "nas.lab.home.arpa:5000",
  /** apt-cacher-ng on the NAS: the lab stack's `site.nas.aptProxy` (README "apt through nas"). */
  aptProxy: "http://nas.lab.home.arpa:3142",
};

/** One app the lab built and put on the NAS: `<artifactsUrl>/<key>/<version>/<file>`. */
export interface LabArtifact {
  version: string;
  file: string;
  /** sha256 of the .tar.gz, 64 lowercase hex. */
  sha256: string;
}

/**
 * The lab stack's `artifacts:` pins as the lab built them: `{ <key>: { sha256, file } }`, to put
 * into the lab fleet in place of committed digests (node-red's may change with npm, see README).
 */
export function labArtifactPins(): Record<string, { sha256: string; file: string }> {
  return Object.fromEntries(Object.entries(labArtifacts()).map(([key, { sha256, file }]) => [key, { sha256, file }]));
}

/** An image `lab.sh up` pushed to the NAS's registry (lib/images.sh). */
export interface LabImage {
  tag: string;
  /** The manifest's digest, `sha256:<64 hex>`. */
  digest: string;
  /** What the hosts pull: `nas.lab.home.arpa:5000/<repository>@<digest>`. */
  reference: string;
}

/**
 * The images on the NAS's registry by repository (`eclipse-mosquitto`, the broker's):
 * $LYRA_LAB_DIR/images/manifest.json, written by `lab.sh up` only after the push succeeded.
 */
export function labImages(): Record<string, LabImage> {
  const file = path.join(labDir, "images", "manifest.json");
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`lab.sh up\` to push the lab's images to nas`);
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, LabImage>;
}

/** What `lab.sh up` (or `lab.sh artifacts`) built, by versions key: $LYRA_LAB_DIR/artifacts/manifest.json. */
export function labArtifacts(): Record<string, LabArtifact> {
  const file = path.join(labDir, "artifacts", "manifest.json");
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`lab.sh up\` or \`lab.sh artifacts\` first`);
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, LabArtifact>;
}

export interface LabHost {
  name: LabHostName;
  /** Loopback address in the root namespace; ports 22, 1880, 1883, 6333, 8000, 8001, 8200, 8300, 9090, 9100 are forwarded (extra mirrors: 22 only; nas: 22, 8081, 5000). */
  address: string;
  port: 22;
  /** The pinned host key, `ssh-ed25519 AAAA...` (from test/lab/hostkeys, stable across wipes). */
  hostKey: string;
  /** Address on the lab bridge, how the hosts reach each other (names resolve to it there). */
  internalAddress: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SshExecOptions {
  /** Default root; `deploy` has passwordless sudo. */
  user?: string;
  /** Written to the command's stdin. */
  input?: string;
  timeoutMs?: number;
  /** Log in whatever host key the host presents (only to undo a test's re-keying of a host). */
  acceptAnyHostKey?: boolean;
}

export interface Lab {
  /** Every lab host: the fleet's, then the NAS, then any extra mirrors. */
  hosts: LabHost[];
  /** The hosts the fleet manages: every lab host but the NAS. */
  fleetHosts: LabHost[];
  /** Private key authorized for root and deploy on every host. */
  clientKeyPath: string;
  clientKey: string;
  /** known_hosts built from the fixture host keys (loopback addresses). */
  knownHostsPath: string;
  host(name: string): LabHost;
  sshExec(host: string | LabHost, command: string, options?: SshExecOptions): Promise<ExecResult>;
}

let labPromise: Promise<Lab> | undefined;

/** Brings the lab up unless it already is (then reuses it); one `lab.sh up` per process. */
export function ensureLab(): Promise<Lab> {
  labPromise ??= runLabCommand(["up"]).then(describeLab);
  labPromise.catch(() => (labPromise = undefined)); // a failed attempt is not cached
  return labPromise;
}

/**
 * Runs mirror-1..mirror-N (`lab.sh up --mirrors N`): mirror-2..N are extra hosts with generated
 * host keys, on 127.0.0.14 and up; 1 is the default lab. Describes the lab as it then is.
 */
export async function setLabMirrors(mirrors: number): Promise<Lab> {
  labPromise = undefined; // the lab changes shape: describe it again
  await runLabCommand(["up", "--mirrors", String(mirrors)]);
  return describeLab();
}

/** Re-flashes hosts: stops them, throws their writable layers away, prepares and boots them again. */
export async function wipeHost(...names: (LabHostName | string)[]): Promise<void> {
  await runLabCommand(["wipe", ...names]);
}

/**
 * A new, empty NAS (`lab.sh wipe-nas`): every backup is gone, the artifacts are published again and
 * the broker image pushed to its registry again.
 * `wipeHost` refuses the NAS, so that re-flashing fleet hosts never takes the backups along.
 */
export async function wipeNas(): Promise<void> {
  await runLabCommand(["wipe-nas"]);
}

/** Powers a host off as the fleet sees it: its address refuses connections until {@link plugBackIn}. */
export async function unplugHost(name: LabHostName | string): Promise<void> {
  await runLabCommand(["unplug", name]);
}

/** Plugs every unplugged host back in (`lab.sh up`, which also repairs anything else missing). */
export async function plugBackIn(): Promise<void> {
  await runLabCommand(["up"]);
}

/**
 * The internet is down, the LAN is not (`lab.sh offline`): no lab host, nas included, reaches
 * Debian's mirror until {@link goOnline}; an `up` or a wipe in between keeps it cut. nas's
 * apt-cacher-ng notices within seconds and serves its cache only ({@link waitForAptCacheMode}).
 */
export async function goOffline(): Promise<void> {
  await runLabCommand(["offline"]);
}

/** Restores the forward to Debian's mirror (`lab.sh online`); `lab.sh down` does too. */
export async function goOnline(): Promise<void> {
  await runLabCommand(["online"]);
}

/**
 * Waits until nas's apt-cacher-ng works offline (serving its cache only) or online again, as its
 * guard (lyra-apt-cache-guard.timer, every 5 s; offline after 3 failed checks) switches it; fails after `deadlineMs`.
 */
export async function waitForAptCacheMode(lab: Lab, mode: "offline" | "online", deadlineMs = 60_000): Promise<void> {
  const test = mode === "offline" ? "-e" : "! -e";
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const { code } = await lab.sshExec(
      labNas.host,
      // The guard writes or removes the file, then restarts apt-cacher-ng: done once it has finished.
      `test ${test} /etc/apt-cacher-ng/zz-lyra-offline.conf && ` +
        `[ "$(systemctl show -p ActiveState --value lyra-apt-cache-guard.service)" != activating ] && ` +
        `systemctl is-active --quiet apt-cacher-ng`,
    );
    if (code === 0) return;
    if (Date.now() > deadline) throw new Error(`nas's apt-cacher-ng did not go ${mode} within ${deadlineMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The extra mirrors' hosts table and host keys, generated by `lab.sh up --mirrors N`. */
const extraHostsFile = () => path.join(labDir, "extra-hosts.txt");
const generatedHostKeys = () => path.join(labDir, "hostkeys");

/** Reads the hosts table shared with lab.sh: the committed hosts, then any extra mirrors running. */
export function labHosts(): LabHost[] {
  const tables = [path.join(labSource, "hosts.txt"), ...(existsSync(extraHostsFile()) ? [extraHostsFile()] : [])];
  return tables
    .flatMap((table) => readFileSync(table, "utf8").split("\n"))
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [name, address, internalAddress] = line.split(/\s+/);
      const committed = path.join(labSource, "hostkeys", name);
      const keys = existsSync(committed) ? committed : path.join(generatedHostKeys(), name);
      const publicKey = readFileSync(path.join(keys, "ssh_host_ed25519_key.pub"), "utf8");
      const hostKey = publicKey.trim().split(/\s+/).slice(0, 2).join(" ");
      return { name: name as LabHostName, address, port: 22 as const, hostKey, internalAddress };
    });
}

function describeLab(): Lab {
  const hosts = labHosts();
  const clientKeyPath = path.join(labDir, "id_ed25519");
  const knownHostsPath = path.join(labDir, "known_hosts");
  const host = (name: string): LabHost => {
    const found = hosts.find((h) => h.name === name);
    if (!found) throw new Error(`unknown lab host '${name}' (known: ${hosts.map((h) => h.name).join(", ")})`);
    return found;
  };
  return {
    hosts,
    fleetHosts: hosts.filter((h) => h.name !== labNas.host),
    clientKeyPath,
    clientKey: readFileSync(clientKeyPath, "utf8"),
    knownHostsPath,
    host,
    sshExec: (target, command, options = {}) => {
      const h = typeof target === "string" ? host(target) : target;
      const args = [
        ...["-F", "/dev/null", "-i", clientKeyPath, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"],
        ...(options.acceptAnyHostKey
          ? ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
          : ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHostsPath}`]),
        ...["-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR"],
        ...["-p", String(h.port), `${options.user ?? "root"}@${h.address}`, "--", command],
      ];
      const what = `ssh ${options.user ?? "root"}@${h.name}: ${command}`;
      return run("ssh", args, what, options.timeoutMs ?? SSH_TIMEOUT_MS, options.input);
    },
  };
}

async function runLabCommand(args: string[]): Promise<ExecResult> {
  const result = await run("bash", [labScript, ...args], `lab.sh ${args.join(" ")}`, LAB_COMMAND_TIMEOUT_MS);
  if (result.code !== 0) {
    throw new Error(`lab.sh ${args.join(" ")} failed (exit ${result.code}):\n${result.stderr.trim()}`);
  }
  return result;
}

/** Runs a program to completion; rejects only when it cannot start or exceeds its deadline. */
function run(program: string, args: string[], what: string, timeoutMs: number, input?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`${what}: no answer within ${timeoutMs / 1000}s\n${stderr.trim()}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${what}: cannot run ${program}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on("error", () => {}); // the command may exit without reading its input
    child.stdin.end(input ?? "");
  });
}
