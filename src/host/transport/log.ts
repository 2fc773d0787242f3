/**
 * The host layer's only log: debug lines on stderr when LYRA_HOST_DEBUG is set. Callers pass
 * names, paths and timings, never content.
 */

/** Writes a debug line to stderr when LYRA_HOST_DEBUG is set. Callers pass no secrets. */
export function debugLog(line: string): void {
  if (process.env.LYRA_HOST_DEBUG) process.stderr.write(`[lyra-host] ${line}\n`);
}
