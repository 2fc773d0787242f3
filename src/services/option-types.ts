/**
 * Building blocks for service options: the zod types several services share, each with the
 * message an operator sees when a value is wrong. Pure; no I/O.
 */
import { z } from "zod";
import { commandLineProblem } from "../model/command-line";
import { withRule } from "../model/issues";
import { imageProblem } from "../model/network";
import { hostPathProblem } from "../model/paths";

/**
 * A service's port. Every service runs as an unprivileged user without CAP_NET_BIND_SERVICE
 * (see each unit's sandbox), so a port below 1024 would leave it unable to listen.
 */
export const port = (fallback: number) =>
  z
    .number({ error: "expected a port number (1024-65535)" })
    .int({ error: "expected a whole port number (1024-65535)" })
    .min(1024, {
      error: "expected an unprivileged port (1024-65535): the service runs without the right to listen below 1024",
    })
    .max(65535, { error: "expected a port number (1024-65535)" })
    .default(fallback);

/** A path on the host; `under`: the directories the option is about, when it is about some. */
export const hostPath = (
  fallback: string,
  under?: { directories: string[]; why: string },
  extra?: (path: string) => string | undefined,
) =>
  withRule(
    z.string({ error: "expected an absolute path, e.g. /var/lib/lyra" }),
    (path) => hostPathProblem(path, under) ?? extra?.(path),
  ).default(fallback);

// A version names a directory and files of its release on the NAS and the hosts (one path
// component each, at most 255 bytes with the rest of the name): 128 characters, as an image tag.
export const version = z
  .string({ error: "expected a version string, e.g. 1.4.2" })
  .regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/, { error: "expected a version string, e.g. 1.4.2" })
  .max(128, { error: "expected a version string of at most 128 characters, e.g. 1.4.2" });

export const unixUser = (fallback: string) =>
  z
    .string({ error: "expected a system user name" })
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "expected a system user name (lowercase letters, digits, - and _)" })
    .default(fallback);

export const seconds = (fallback: number, min: number, max: number) =>
  z
    .number({ error: `expected a number of seconds (${min}-${max})` })
    .int({ error: `expected a whole number of seconds (${min}-${max})` })
    .min(min, { error: `expected at least ${min} seconds` })
    .max(max, { error: `expected at most ${max} seconds` })
    .default(fallback);

export const flag = (fallback: boolean) => z.boolean({ error: "expected true or false" }).default(fallback);

export const commandLine = (what: string) => withRule(z.string({ error: `expected ${what}` }), commandLineProblem);

export const imageWithDigest = withRule(
  z.string({ error: "expected a container image pinned by digest" }),
  imageProblem,
);

/** Every service has it: a host turns a preset service off with `enabled: false`. */
export const enabled = flag(true).describe("Run the service on this host (false turns a role's preset off).");
