/** Files and directories the operator names on a CLI's command line: read and made with errors that say why. */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UsageError } from "../verify/usage-error";

/** Why a file could not be read or made, in words (never its content). */
export function fileErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EROFS":
      return "read-only file system";
    default:
      return `error ${code ?? "reading it"}`;
  }
}

/** A file named by `--flag`, read whole; a UsageError naming the flag and the reason if it cannot be. */
export function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
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
