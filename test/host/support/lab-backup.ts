/**
 * What the lab backup tests share: converging a lab host's rendered items through HostState (as
 * `pulumi up` would: create on a re-flashed host, else refresh and update), restic on this
 * machine reading nas's repository over SFTP as the fleet's NAS account, and unplugging the NAS.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { HostConnection } from "../../../src/host/transport/connection";
import {
  hostStateProvider,
  type HostStateInputs,
  type HostStateOutputs,
} from "../../../src/host/resources/host-state-provider";
import { backupPasswordKey } from "../../../src/services/backup/secrets";
import { labDir, labNas, type ExecResult, type Lab } from "../../lab/lab";
import { hostPlan, hostStateInputs, labFleet } from "./lab-plan";

/** The fleet's repository on the NAS (site.nas.path + /restic). */
export const nasRepository = `${labNas.backupsPath}/restic`;

export type FleetEdit = (fleet: Record<string, any>) => void;

/** One lab host's HostState, converged from the lab stack's plan with only `services` on it. */
export class LabConverger {
  private state: HostStateOutputs | undefined;

  constructor(
    private readonly host: string,
    private readonly services: readonly string[],
    private readonly connection: HostConnection,
    private readonly secrets: Record<string, string>,
  ) {}

  inputs(edit?: FleetEdit): HostStateInputs {
    return hostStateInputs(
      hostPlan(labFleet(this.host, this.services, edit), this.host),
      this.connection,
      this.secrets,
    );
  }

  /** The host was re-flashed: the next converge creates everything, as for a new stack. */
  forget(): void {
    this.state = undefined;
  }

  async converge(edit?: FleetEdit): Promise<HostStateOutputs> {
    const id = `${this.host}:state`;
    try {
      if (!this.state) return (this.state = (await hostStateProvider.create(this.inputs(edit))).outs!);
      const read = await hostStateProvider.read(id, this.state);
      return (this.state = (await hostStateProvider.update(id, read.props!, this.inputs(edit))).outs!);
    } catch (error) {
      // A failed apply carries the state it reached (what the engine records), for the next one.
      const reached = (error as { properties?: HostStateOutputs & { __provider?: unknown } }).properties;
      if (reached) {
        const { __provider: _provider, ...partial } = reached;
        this.state = partial;
      }
      throw error;
    }
  }
}

export function run(program: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(program, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${program} ${args[0]}: ${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

/**
 * restic on this machine, on nas's repository through nas's loopback address, as the NAS account.
 * The hosts share that repository, and a host's prune locks it for a few seconds: a command that
 * finds it locked tries again, as the hosts' own backup scripts do (src/services/backup/scripts.ts;
 * Debian's restic 0.14 has no --retry-lock). A CI run once read snapshots during vega's prune.
 */
export async function resticOnNas(lab: Lab, secrets: Record<string, string>, args: string[]): Promise<string> {
  for (let tries = 1; ; tries++) {
    try {
      return await resticOnNasOnce(lab, secrets, args);
    } catch (error) {
      if (tries >= lockTries || !String((error as Error).message).includes("repository is already locked")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

/** How often a locked repository is tried, 2 s apart: a prune of the lab's small repository takes seconds. */
const lockTries = 30;

function resticOnNasOnce(lab: Lab, secrets: Record<string, string>, args: string[]): Promise<string> {
  const address = lab.host(labNas.host).address;
  const knownHosts = join(labDir, "lab-backup-nas-known-hosts");
  writeFileSync(knownHosts, `${address} ${labNas.hostKey()}\n`);
  const ssh = [
    "ssh -F /dev/null",
    `-i ${labNas.clientKeyPath()}`,
    "-o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes",
    `-o UserKnownHostsFile=${knownHosts} -o GlobalKnownHostsFile=/dev/null`,
    `${labNas.user}@${address} -s sftp`,
  ].join(" ");
  return run("restic", ["-o", `sftp.command=${ssh}`, ...args], {
    RESTIC_REPOSITORY: `sftp:${labNas.user}@${address}:${nasRepository}`,
    // The password reaches restic through its environment only, never an argument or a log.
    RESTIC_PASSWORD: secrets[backupPasswordKey],
    RESTIC_CACHE_DIR: join(labDir, "cache", "lab-backup-restic"),
  });
}

export interface Snapshot {
  id: string;
  hostname: string;
  tags: string[];
}

/** The data set's snapshots from `host` in nas's repository. */
export async function snapshotsOnNas(
  lab: Lab,
  secrets: Record<string, string>,
  host: string,
  dataset: string,
): Promise<Snapshot[]> {
  return JSON.parse(
    await resticOnNas(lab, secrets, ["snapshots", "--json", "--tag", `host:${host},dataset:${dataset}`]),
  );
}

/**
 * Starts a backup run of data set `id` on `host` that begins now, and waits for it. A plain
 * `systemctl start` joins a run already under way (the timer's first run, two minutes after a
 * converge), which may have read the data set before the test put its proof in: that run is let
 * finish first.
 */
export function backupNow(lab: Lab, host: string, id: string, timeoutMs?: number): Promise<ExecResult> {
  const unit = `lyra-backup-${id}.service`;
  return lab.sshExec(
    host,
    `while [ "$(systemctl show -p ActiveState --value ${unit})" = activating ]; do sleep 1; done; systemctl start ${unit}`,
    { timeoutMs },
  );
}

/** Like {@link snapshotsOnNas}, but none while the NAS has no repository yet (before any first backup). */
export async function snapshotsIfAny(
  lab: Lab,
  secrets: Record<string, string>,
  host: string,
  dataset: string,
): Promise<Snapshot[]> {
  try {
    return await snapshotsOnNas(lab, secrets, host, dataset);
  } catch (error) {
    if (/Is there a repository at the following location\?/.test((error as Error).message)) return [];
    throw error;
  }
}

/**
 * Unplugs the NAS from the lab's bridge (its port there down: no host reaches it, nor does this
 * machine), or plugs it back in.
 */
export async function nasPlugged(lab: Lab, plugged: boolean): Promise<void> {
  await run("ip", ["-n", "lyra-lab", "link", "set", `vh-${labNas.host}`, plugged ? "up" : "down"]);
  if (!plugged) return;
  // Plugged back in, it answers over the bridge again (as the hosts reach it) before we go on.
  const started = Date.now();
  for (let tries = 0; ; tries++) {
    const result = await lab.sshExec(labNas.host, "true", { timeoutMs: 10_000 });
    if (result.code === 0) break;
    if (tries >= 30)
      throw new Error(`nas does not answer over SSH after being plugged back in: ${result.stderr.trim()}`);
    await sleep(1000);
  }
  if (Date.now() - started > 2000) console.log(`# nas answered ${Date.now() - started} ms after being plugged back in`);
}
