/**
 * Benchmark (not a test): lyra-fleet and its peer, Ansible (Debian's ansible-playbook, pipelining
 * on, the hand-written bench/ansible/playbook.yml), converging the same lab host, the broker host
 * vega, to the same end state: the files of `npm run render -- --stack lab` (mosquitto.conf, ACL,
 * passwd, the mqtt-broker unit and the rest of vega's plan), its packages and unit states.
 * For each tool, in one run:
 *   first     vega wiped (the re-flashed SD card), then converged;
 *   no-op     nothing changed: both must change nothing;
 *   one-file  the broker's config edited by hand on vega, then converged: one file written back,
 *             the broker restarted.
 * Each phase reports wall time and SSH commands: for Ansible every ssh/sftp/scp it invokes (each
 * one session over its shared connection, logged by bench/ansible/count-ssh.sh); for lyra-fleet
 * the commands its host layer counts. lyra-fleet runs as a user runs it, `pulumi up --yes
 * --skip-preview` by the real CLI on the lab stack (test/lab/pulumi-lab.ts, which evaluates the
 * whole program), with `--target` limited to vega's resources. After each converge the bench
 * checks vega against the render (every file's bytes, mode and owner, packages, units) and tries
 * the broker as its monitor user (the ACL allows lyra/test, denies presence; no anonymous login).
 *
 * Starts the lab stack afresh (as bench/lab-converge.ts does) from this checkout, converges the
 * whole lab once unmeasured, wipes vega twice and leaves it converged by lyra-fleet. Holds no lock
 * itself: run it under the lab's lock, and afterwards restore the lab as `npm run lab:converge` does:
 *
 *   flock /tmp/lyra-lab.lock node --import tsx bench/ansible-peer.ts
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { renderStack } from "../src/cli/render";
import type { Manifest } from "../src/cli/render-tree";
import { secretEnvName } from "../src/secrets/source";
import { ensureLab, labDir, wipeHost, type Lab } from "../test/lab/lab";
import { labSecrets, labStack, type LabStack } from "../test/lab/pulumi-lab";
import { brokerProblems, endStateDifferences, unitStartStamp } from "./ansible/end-state";
import { playbookPath, writeAnsibleInventory, type AnsibleInventory } from "./ansible/inventory";
import type { Row } from "./support/result-rows";
import { recordResults } from "./support/results";
import { pulumiFailure } from "./support/pulumi-failure";

const HOST = "vega";
const BROKER_UNIT = "mqtt-broker.service";
const BROKER_CONFIG = "/etc/mosquitto/lyra/mosquitto.conf";
const MONITOR_OPTIONS = "/etc/mosquitto/lyra/monitor";
const ANSIBLE_TIMEOUT_MS = 20 * 60_000;
const root = join(__dirname, "..");
/** Private: the render holds the lab's secrets, as lab-secrets.json beside it does. */
const workDir = join(labDir, "ansible-peer");

type PhaseResult = Row<"ansible-peer">;

/** Each phase on stderr as it ends, so a later failure does not lose the figures measured so far. */
function progress(result: PhaseResult): PhaseResult {
  const problems = result.problems.length ? `; ${result.problems.join("; ")}` : "";
  console.error(
    `${result.tool} ${result.phase}: ${(result.ms / 1000).toFixed(1)} s, ${result.sshCommands} SSH commands, ${result.changes} changes${problems}`,
  );
  return result;
}

/** The lab stack's files with its real secrets, as both tools must write them. */
function renderWithSecrets(): Manifest["hosts"][number] {
  const renderDir = join(workDir, "render");
  // As the stack holds them: `pulumi config set --secret` (which pulumi-stack.ts feeds on stdin)
  // keeps a value without its final line break, and the lab's key files end with one.
  const keys = Object.entries(labSecrets());
  for (const [key, value] of keys) process.env[secretEnvName(key)] = value.replace(/\n$/, "");
  try {
    renderStack("lab", renderDir, true);
  } finally {
    for (const [key] of keys) delete process.env[secretEnvName(key)];
  }
  const manifest = JSON.parse(readFileSync(join(renderDir, "manifest.json"), "utf8")) as Manifest;
  return manifest.hosts.find((h) => h.host === HOST)!;
}

/** Runs the playbook once; wall time is ansible-playbook's own, from start to exit. */
function runPlaybook(inv: AnsibleInventory, sshLog: string): Promise<{ ms: number; output: string; code: number }> {
  rmSync(sshLog, { force: true });
  const env = {
    ...process.env,
    ANSIBLE_CONFIG: inv.config,
    ANSIBLE_LOCAL_TEMP: join(inv.dir, "tmp"),
    ANSIBLE_NOCOLOR: "1",
    LYRA_PEER_SSH_LOG: sshLog,
  };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("ansible-playbook", [playbookPath], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (output += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (output += s));
    const timer = setTimeout(() => child.kill("SIGTERM"), ANSIBLE_TIMEOUT_MS);
    child.on("error", (err) => (clearTimeout(timer), reject(new Error(`cannot run ansible-playbook: ${err.message}`))));
    child.on("close", (code) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      // The shared connection outlives the run (ControlPersist): close it, so the next phase opens its own.
      for (const socket of readdirSync(inv.controlDir))
        spawnSync("ssh", ["-o", `ControlPath=${join(inv.controlDir, socket)}`, "-O", "exit", HOST], {
          stdio: "ignore",
        });
      resolve({ ms, output, code: code ?? 1 });
    });
  });
}

/** "changed=N" of the play recap. */
function changedTasks(output: string): number {
  const match = /^\S+\s*:\s*ok=\d+\s+changed=(\d+)/m.exec(output);
  if (!match) throw new Error(`no play recap in ansible-playbook's output:\n${output.slice(-3000)}`);
  return Number(match[1]);
}

function countLines(path: string): number {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean).length : 0;
}

/** The stack's resources on vega: its component and everything named `vega:…`. */
async function vegaTargets(stack: LabStack): Promise<string[]> {
  // `pulumi stack export` wants the file backend's fully qualified name (`--stack lab` is refused).
  const run = await stack.pulumi(["stack", "export", "--stack", "organization/lyra-fleet/lab"]);
  if (run.code !== 0) throw new Error(`pulumi stack export failed (exit ${run.code}):\n${run.output.slice(-2000)}`);
  const exported = JSON.parse(run.stdout) as { deployment: { resources?: { urn: string }[] } };
  const urns = (exported.deployment.resources ?? [])
    .map((r) => r.urn)
    .filter((urn) => {
      const name = urn.slice(urn.lastIndexOf("::") + 2);
      return name === HOST || name.startsWith(`${HOST}:`);
    });
  if (urns.length === 0)
    throw new Error(`the lab stack has no resources of ${HOST} yet: run \`npm run lab:converge\` once first`);
  return urns;
}

async function runPulumiUp(stack: LabStack, targets: string[]): Promise<{ ms: number; ssh: number; writes: number }> {
  stack.resetCounters();
  const args = [
    "up",
    "--yes",
    "--skip-preview",
    "--skip-plugin-pre-install",
    ...targets.flatMap((t) => ["--target", t]),
  ];
  const run = await stack.pulumi([...args, "--stack", "lab"]);
  if (run.code !== 0) throw new Error(`pulumi up failed (exit ${run.code}):\n${pulumiFailure(run.output)}`);
  const counters = stack.counters();
  const others = Object.entries(counters).filter(([host, c]) => host !== HOST && c.remoteCommands > 0);
  // --target should keep the refresh on vega too; if it did not, vega's share would hide the rest.
  if (others.length > 0)
    throw new Error(
      `pulumi up --target reached other hosts too: ${others.map(([h, c]) => `${h} ${c.remoteCommands}`).join(", ")}`,
    );
  const vega = counters[HOST];
  return { ms: run.ms, ssh: vega?.remoteCommands ?? 0, writes: vega?.remoteWrites ?? 0 };
}

async function editBrokerConfig(lab: Lab): Promise<string> {
  const before = await unitStartStamp(lab, HOST, BROKER_UNIT);
  const edit = await lab.sshExec(HOST, `echo 'allow_anonymous true' >> ${BROKER_CONFIG}`);
  if (edit.code !== 0) throw new Error(`editing ${HOST}'s broker config failed: ${edit.stderr}`);
  return before;
}

/** The end state and the broker after a converge; after one-file, the broker must have restarted. */
async function checks(
  lab: Lab,
  host: Manifest["hosts"][number],
  phase: PhaseResult["phase"],
  stampBefore?: string,
): Promise<string[]> {
  const problems = [...(await endStateDifferences(lab, host)), ...(await brokerProblems(lab, HOST, MONITOR_OPTIONS))];
  if (stampBefore !== undefined && (await unitStartStamp(lab, HOST, BROKER_UNIT)) === stampBefore)
    problems.push(`${BROKER_UNIT} was not restarted after its config changed`);
  return problems.map((p) => `${phase}: ${p}`);
}

async function ansiblePhases(lab: Lab, host: Manifest["hosts"][number]): Promise<PhaseResult[]> {
  const target = lab.host(HOST);
  const inv = writeAnsibleInventory(
    join(workDir, "render"),
    {
      host: HOST,
      address: target.address,
      port: target.port,
      user: "root",
      privateKeyPath: lab.clientKeyPath,
      knownHostsPath: lab.knownHostsPath,
    },
    join(workDir, "ansible"),
  );
  mkdirSync(join(inv.dir, "tmp"), { recursive: true });
  const results: PhaseResult[] = [];
  const phase = async (name: PhaseResult["phase"], stampBefore?: string) => {
    const sshLog = join(inv.dir, `ssh-${name}.log`);
    const run = await runPlaybook(inv, sshLog);
    if (run.code !== 0)
      throw new Error(`ansible-playbook (${name}) failed (exit ${run.code}):\n${run.output.slice(-4000)}`);
    const changes = changedTasks(run.output);
    const problems = name === "no-op" && changes > 0 ? [`no-op: ${changes} tasks changed`] : [];
    if (name !== "no-op") problems.push(...(await checks(lab, host, name, stampBefore)));
    results.push(
      progress({ tool: "ansible", phase: name, ms: run.ms, sshCommands: countLines(sshLog), changes, problems }),
    );
  };
  await wipeHost(HOST);
  await phase("first");
  await phase("no-op");
  await phase("one-file", await editBrokerConfig(lab));
  return results;
}

async function lyraFleetPhases(lab: Lab, host: Manifest["hosts"][number], stack: LabStack): Promise<PhaseResult[]> {
  const targets = await vegaTargets(stack);
  const results: PhaseResult[] = [];
  const phase = async (name: PhaseResult["phase"], stampBefore?: string) => {
    const run = await runPulumiUp(stack, targets);
    const problems = name === "no-op" && run.writes > 0 ? [`no-op: ${run.writes} writes`] : [];
    if (name !== "no-op") problems.push(...(await checks(lab, host, name, stampBefore)));
    results.push(
      progress({ tool: "lyra-fleet", phase: name, ms: run.ms, sshCommands: run.ssh, changes: run.writes, problems }),
    );
  };
  await wipeHost(HOST);
  await phase("first");
  await phase("no-op");
  await phase("one-file", await editBrokerConfig(lab));
  return results;
}

function table(results: PhaseResult[]): string {
  const rows = ["tool        phase     wall s  SSH commands  changes"];
  for (const r of results)
    rows.push(
      `${r.tool.padEnd(10)}  ${r.phase.padEnd(8)}  ${(r.ms / 1000).toFixed(1).padStart(6)}  ` +
        `${String(r.sshCommands).padStart(12)}  ${String(r.changes).padStart(7)}`,
    );
  rows.push("", "lyra-fleet / ansible   wall   SSH commands");
  for (const phase of ["first", "no-op", "one-file"] as const) {
    const a = results.find((r) => r.tool === "ansible" && r.phase === phase)!;
    const l = results.find((r) => r.tool === "lyra-fleet" && r.phase === phase)!;
    rows.push(
      `${phase.padEnd(20)}  ${(l.ms / a.ms).toFixed(2).padStart(5)}  ${(l.sshCommands / a.sshCommands).toFixed(2).padStart(13)}`,
    );
  }
  return rows.join("\n");
}

async function main(): Promise<void> {
  const started = new Date();
  // Before the lab is touched: without Debian's ansible the bench would wipe vega for nothing.
  const ansible = spawnSync("ansible-playbook", ["--version"], { encoding: "utf8" });
  if (ansible.error || ansible.status !== 0)
    throw new Error("ansible-peer: ansible-playbook does not run here: install Debian's ansible package");
  const version = ansible.stdout.split("\n")[0];
  process.chdir(root); // the render reads stacks/ relative to the checkout
  const lab = await ensureLab();
  // A new stack whose program is this checkout's (a reused one runs whichever checkout made it),
  // taught the lab by one unmeasured converge so that vega's resources exist to --target.
  const stack = await labStack({ fresh: true });
  const setup = await stack.pulumi(["up", "--yes", "--skip-preview", "--skip-plugin-pre-install", "--stack", "lab"]);
  if (setup.code !== 0)
    throw new Error(`the setup's pulumi up failed (exit ${setup.code}):\n${setup.output.slice(-4000)}`);
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const host = renderWithSecrets();
  const results = [...(await ansiblePhases(lab, host)), ...(await lyraFleetPhases(lab, host, stack))];
  console.log(
    `ansible-peer bench: ${HOST} of stacks/Pulumi.lab.yaml (${host.files.length} files, ${host.packages.length} packages, ` +
      `${host.units.length} units); ${version}, pipelining; lyra-fleet: pulumi up --skip-preview --target ${HOST}, Node ${process.version}`,
  );
  console.log("changes: Ansible's tasks reporting a change; lyra-fleet's commands that wrote to the host");
  console.log(table(results));
  const what =
    `${HOST} of the lab stack converged by Ansible (${version}, pipelining, bench/ansible/playbook.yml) and by ` +
    `lyra-fleet (pulumi up --skip-preview --target ${HOST}): first, no-op, one file edited by hand`;
  console.log(`results: ${recordResults("ansible-peer", what, started, results)}`);
  const problems = results.flatMap((r) => r.problems.map((p) => `${r.tool} ${p}`));
  if (problems.length > 0) {
    console.log(`\nvega was not as declared:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    process.exitCode = 1;
  } else {
    console.log(
      "\nchecked after every converge, for both tools: vega's files, packages and units match the render, " +
        "the broker answers the monitor under its ACL and refuses anonymous clients; one-file restarted the broker",
    );
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
