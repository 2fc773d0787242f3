/**
 * Memory of the lab's hosts, for benchmarks. The hosts share one memory cgroup here (cgroup v1
 * memory controller, nspawn started with --keep-unit and no systemd on the machine), so there
 * is no per-host memory.current: a host's memory is the proportional set size (PSS, shared
 * pages split between their users) of every process in its PID namespace, and the machine's is
 * MemTotal - MemAvailable.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { labDir } from "../../test/lab/lab";

const pids = () => readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
const tryRead = (path: string, read: (p: string) => string): string | undefined => {
  try {
    return read(path);
  } catch {
    return undefined; // the process ended while we looked
  }
};

/** PSS in kB of one process, from smaps_rollup. */
function pssKb(pid: string): number {
  const rollup = tryRead(`/proc/${pid}/smaps_rollup`, (p) => readFileSync(p, "utf8")) ?? "";
  return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
}

/** The PID of a host's init: the child of its systemd-nspawn (lab.sh's run/ PID file). */
function hostInit(name: string, parents: Map<string, string>): string {
  const nspawn = readFileSync(join(labDir, "run", `host-${name}.nspawn.pid`), "utf8").trim();
  const init = [...parents].find(([, parent]) => parent === nspawn)?.[0];
  if (!init) throw new Error(`lab host ${name}: no init under systemd-nspawn PID ${nspawn}; is it running?`);
  return init;
}

/** Each host's memory in MB, by host name, measured in one pass over /proc. */
export function hostsMemoryMb(names: string[]): Record<string, number> {
  const all = pids();
  const parents = new Map<string, string>();
  const namespaces = new Map<string, string>();
  for (const pid of all) {
    const stat = tryRead(`/proc/${pid}/stat`, (p) => readFileSync(p, "utf8"));
    if (stat) parents.set(pid, stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const ns = tryRead(`/proc/${pid}/ns/pid`, readlinkSync);
    if (ns) namespaces.set(pid, ns);
  }
  const result: Record<string, number> = {};
  for (const name of names) {
    const ns = namespaces.get(hostInit(name, parents));
    const members = all.filter((pid) => namespaces.get(pid) === ns);
    result[name] = members.reduce((kb, pid) => kb + pssKb(pid), 0) / 1024;
  }
  return result;
}

/** The machine's memory in use, MB (MemTotal - MemAvailable). */
export function machineUsedMb(): number {
  const info = readFileSync("/proc/meminfo", "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(info)?.[1] ?? NaN);
  return (field("MemTotal") - field("MemAvailable")) / 1024;
}
