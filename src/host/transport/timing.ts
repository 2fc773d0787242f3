/**
 * When the host layer waited on a host, for benchmarks: with `LYRA_HOST_TIMING_LOG` set to a file,
 * every remote command appends "host<TAB>startMs<TAB>endMs" (epoch milliseconds, connection and
 * retries included). Under the Pulumi CLI the providers run in processes of the engine's; this
 * file is how a benchmark tells how much of a `pulumi up` was spent waiting on SSH and the hosts.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";

export function recordHostWait(host: string, startMs: number, endMs: number): void {
  const log = process.env.LYRA_HOST_TIMING_LOG;
  if (log) appendFileSync(log, `${host}\t${startMs}\t${endMs}\n`);
}

export interface HostWait {
  host: string;
  startMs: number;
  endMs: number;
}

/** The intervals a `LYRA_HOST_TIMING_LOG` file holds (none yet: no host touched). */
export function readHostWaits(path: string): HostWait[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const [host, start, end] = line.split("\t");
      return { host, startMs: Number(start), endMs: Number(end) };
    });
}
