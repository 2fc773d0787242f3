/**
 * When the host layer waited on a host, for benchmarks: with `LYRA_HOST_TIMING_LOG` set to a file,
 * every remote command appends "host<TAB>startMs<TAB>endMs<TAB>purpose" (epoch milliseconds,
 * connection and retries included; the purpose as its error messages give it, secrets scrubbed).
 * Under the Pulumi CLI the providers run in processes of the engine's; this file is how a benchmark
 * tells how much of a `pulumi up` was spent waiting on SSH and the hosts, and on which commands.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { scrubSecrets } from "./errors";

export function recordHostWait(
  host: string,
  startMs: number,
  endMs: number,
  purpose: string,
  secrets: readonly (string | undefined)[] = [],
): void {
  const log = process.env.LYRA_HOST_TIMING_LOG;
  if (!log) return;
  // One line per command, whatever the purpose holds.
  const field = scrubSecrets(purpose, secrets).replace(/\s+/g, " ");
  appendFileSync(log, `${host}\t${startMs}\t${endMs}\t${field}\n`);
}

export interface HostWait {
  host: string;
  startMs: number;
  endMs: number;
  /** What the command was for ("apt-get install curl mosquitto"). */
  purpose: string;
}

/** The intervals a `LYRA_HOST_TIMING_LOG` file holds (none yet: no host touched). */
export function readHostWaits(path: string): HostWait[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const [host, start, end, purpose = ""] = line.split("\t");
      return { host, startMs: Number(start), endMs: Number(end), purpose };
    });
}
