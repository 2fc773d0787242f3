/**
 * Paths on a host. A path from the stack becomes a directory or file that root creates, chowns or
 * rsyncs into with --delete, so it must say exactly one place (absolute, normalized), be written
 * the same in every file it lands in (no spaces, quotes or systemd %-specifiers), and stay out of
 * the directories the system itself owns unless the option is about one.
 */

/** Owned by the OS and its packages: a service's data, cache or log never belongs here. */
export const systemDirectories = [
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/proc",
  "/root",
  "/run",
  "/sbin",
  "/sys",
  "/tmp",
  "/usr",
  "/var/lock",
  "/var/run",
  "/var/tmp",
];

/** Shared by many owners: a path may live below one, but may not be one (it would be chowned or emptied). */
const sharedDirectories = [
  "/",
  "/home",
  "/media",
  "/mnt",
  "/opt",
  "/srv",
  "/var",
  "/var/backups",
  "/var/cache",
  "/var/lib",
  "/var/local",
  "/var/log",
  "/var/mail",
  "/var/opt",
  "/var/spool",
];

const pathCharacters = /^[A-Za-z0-9._+@/-]*$/;

export const isUnder = (path: string, directory: string): boolean =>
  path === directory || path.startsWith(`${directory.replace(/\/$/, "")}/`);

/** Absolute, normalized and in the characters every file format here takes unquoted. */
export function normalizedPathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return "expected an absolute path, e.g. /var/lib/lyra";
  if (!pathCharacters.test(path))
    return "expected a path of letters, digits, '.', '_', '-', '+', '@' and '/' only (no spaces, quotes, '%' or control characters), e.g. /var/lib/lyra";
  const segments = path.split("/").slice(1);
  if (path !== "/" && segments.some((s) => s === "" || s === "." || s === "..")) {
    return "expected a normalized path (no '//', '.', '..' or trailing '/'), e.g. /var/lib/lyra";
  }
  if (segments.some((s) => s.length > 255) || path.length > 1024)
    return "expected a path of at most 1024 characters, each name at most 255";
  return undefined;
}

/**
 * Everything wrong with a path on a host, or undefined. `under`: the directories the option is
 * about (qdrant's storage under /var/lib/); a path there may be in no other place.
 */
export function hostPathProblem(path: string, under?: { directories: string[]; why: string }): string | undefined {
  const normal = normalizedPathProblem(path);
  if (normal) return normal;
  if (sharedDirectories.includes(path))
    return `expected a directory of its own below ${path === "/" ? "/" : path + "/"}, not ${path} itself`;
  if (under) {
    if (!under.directories.some((d) => isUnder(path, d)))
      return `expected a path under ${under.directories.map((d) => `${d}/`).join(" or ")} (${under.why})`;
    return undefined;
  }
  const system = systemDirectories.find((d) => isUnder(path, d));
  if (system) return `expected a path outside ${system}, a system directory (use e.g. /var/lib/lyra or /opt/lyra)`;
  return undefined;
}
