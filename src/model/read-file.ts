/**
 * Reading a file an operator names (a stack file, verify's results, a key): only a regular file,
 * and only up to a size. `--results /dev/zero` read for ever (30 s of a core until killed, and the
 * memory with it), and opening a FIFO blocks until something writes to it.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/** An error with a code as node's own file errors have, and its reason in words. */
function fileError(code: string, message: string, reason: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, reason });
}

/** Why a file could not be read or made, in words (never its content). */
export function fileErrorReason(err: unknown): string {
  const ours = (err as { reason?: string }).reason;
  if (ours !== undefined) return ours;
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

/**
 * The file's text. Throws node's error (ENOENT, EACCES, ...), EISDIR for a directory, ENOTREG for
 * anything else that is not a regular file (a device, a FIFO, a socket), and EFBIG past maxBytes.
 */
export function readRegularFile(path: string, maxBytes: number): string {
  // O_NONBLOCK: opening a FIFO does not wait for a writer (it is then refused, below).
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw fileError("EISDIR", `${path} is a directory`, "it is a directory");
    if (!stat.isFile()) throw fileError("ENOTREG", `${path} is not a regular file`, "not a regular file");
    // Read to the end, not to stat's size: files under /proc report 0 and hold more.
    let buffer = Buffer.alloc(Math.min(maxBytes, stat.size) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes)
          throw fileError("EFBIG", `${path} is larger than ${maxBytes} bytes`, `larger than ${maxBytes} bytes`);
        buffer = Buffer.concat([buffer, Buffer.alloc(Math.min(buffer.length, maxBytes + 1 - length))]);
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return buffer.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}
