/**
 * The lab for tests: three real systemd hosts (systemd-nspawn) reachable over SSH on loopback
 * addresses. `ensureLab()` brings it up through `test/lab/lab.sh up` (idempotent) and describes it.
 *
 *   const lab = await ensureLab();
 *   const { code, stdout } = await lab.sshExec("vega", "systemctl is-active ssh");
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";

export const labDir = process.env.LYRA_LAB_DIR ?? "/var/lib/lyra-fleet-lab";
const labSource = __dirname;
const labScript = path.join(labSource, "lab.sh");

/** How long a lab command may take: a first `up` builds the Debian root (about a minute). */
const LAB_COMMAND_TIMEOUT_MS = 20 * 60_000;
const SSH_TIMEOUT_MS = 5 * 60_000;

export type LabHostName = "lyra" | "vega" | "mirror-1";

export interface LabHost {
  name: LabHostName;
  /** Loopback address in the root namespace; ports 22, 1880, 1883, 6333, 8000, 8001, 8200, 8300, 9090, 9100 are forwarded. */
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
  hosts: LabHost[];
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

/** Re-flashes a host: stops it, throws its writable layer away, prepares and boots it again. */
export async function wipeHost(name: LabHostName | string): Promise<void> {
  await runLabCommand(["wipe", name]);
}

/** Powers a host off as the fleet sees it: its address refuses connections until {@link plugBackIn}. */
export async function unplugHost(name: LabHostName | string): Promise<void> {
  await runLabCommand(["unplug", name]);
}

/** Plugs every unplugged host back in (`lab.sh up`, which also repairs anything else missing). */
export async function plugBackIn(): Promise<void> {
  await runLabCommand(["up"]);
}

/** Reads the hosts table shared with lab.sh. */
export function labHosts(): LabHost[] {
  return readFileSync(path.join(labSource, "hosts.txt"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [name, address, internalAddress] = line.split(/\s+/);
      const publicKey = readFileSync(path.join(labSource, "hostkeys", name, "ssh_host_ed25519_key.pub"), "utf8");
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
