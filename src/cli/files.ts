/** Files and directories the operator names on a CLI's command line: read and made with errors that say why. */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileErrorReason, readRegularFile } from "../model/read-file";
import { UsageError } from "../verify/usage-error";

/** An SSH private key is a few kilobytes: a larger --identity is not one. */
export const KEY_FILE_MAX_BYTES = 1024 * 1024;

/**
 * A file named by `--flag`, read whole (a regular file of at most maxBytes); a UsageError naming
 * the flag and the reason if it cannot be.
 */
export function readFlagFile(flag: string, path: string, maxBytes: number): string {
  try {
    return readRegularFile(path, maxBytes);
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path} (${fileErrorReason(err)})`);
  }
}

/**
 * `mkdir -p` that fails instead of looping. Node's recursive mkdirSync retries for ever where mkdir
 * answers ENOENT under a parent that exists, as procfs does: `render --out /proc/x` spun at full
 * CPU until killed (node 20). Each missing level is made on its own, and the first that cannot be
 * made is named in the error.
 */
export function makeDirectories(path: string): void {
  const missing: string[] = [];
  for (let at = resolve(path); !existsSync(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      // ENOENT with the parent there: a file system that takes no new directories (procfs).
      const reason =
        (err as NodeJS.ErrnoException).code === "ENOENT" ? "no directory can be made there" : fileErrorReason(err);
      throw new Error(`cannot create ${dir} (${reason})`);
    }
  }
}
