/**
 * Validation of host resource arguments, shared by the resource constructors (which throw before
 * anything is registered) and the providers' `check` (which reports to the engine). Values that are
 * not known yet (undefined here, or Pulumi's unknown marker) are skipped.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { UNKNOWN } from "./provider-support";

/** One problem: the property at fault and what is expected of it. */
export type Problem = dynamic.CheckFailure;

function known(value: unknown): boolean {
  return value !== undefined && value !== UNKNOWN;
}

/** An absolute, normalized path ("/etc/lyra/x.conf"): no "." or ".." parts, no trailing slash. */
export function absolutePathProblems(property: string, value: unknown): Problem[] {
  if (!known(value)) return [];
  if (typeof value !== "string" || !value.startsWith("/") || value === "/") {
    return [{ property, reason: `must be an absolute path below /, got ${JSON.stringify(value)}` }];
  }
  if (value.endsWith("/") || value.includes("//") || value.split("/").some((part) => part === "." || part === "..")) {
    return [
      {
        property,
        reason: `must be a normalized path (no "//", ".", ".." or trailing "/"), got ${JSON.stringify(value)}`,
      },
    ];
  }
  // The host's batches read one path per line and separate a path from its fields with tabs.
  if (/[\0\n\t]/.test(value)) return [{ property, reason: "must not contain NUL, newline or tab characters" }];
  return [];
}

/** Octal permission bits, three or four digits ("644", "0640", "2775"). */
export function modeProblems(property: string, value: unknown): Problem[] {
  if (!known(value)) return [];
  if (typeof value !== "string" || !/^[0-7]{3,4}$/.test(value)) {
    return [{ property, reason: `must be octal permission bits such as "0644", got ${JSON.stringify(value)}` }];
  }
  return [];
}

/** A user or group: a name as useradd accepts it, or a numeric id. */
export function identityProblems(property: string, value: unknown): Problem[] {
  if (!known(value)) return [];
  if (typeof value !== "string" || !/^([a-z_][a-z0-9_.-]{0,31}\$?|[0-9]{1,10})$/i.test(value)) {
    return [{ property, reason: `must be a user or group name or a numeric id, got ${JSON.stringify(value)}` }];
  }
  return [];
}

/** Text content (the File's content, a unit file). Never quotes the value: it may be a secret. */
export function textProblems(property: string, value: unknown, optional = false): Problem[] {
  if (!known(value)) return [];
  if (optional && value === null) return [];
  if (typeof value !== "string")
    return [{ property, reason: `must be a string, got ${value === null ? "null" : typeof value}` }];
  return [];
}

/** "args.path must be ...; args.mode must be ..." for a constructor's error. */
export function describeProblems(problems: readonly Problem[], prefix = "args."): string[] {
  return problems.map((problem) => `${prefix}${problem.property} ${problem.reason}`);
}

/** Problems with a path and its ownership and mode (unknown values are skipped). */
export function pathMetadataProblems(inputs: {
  path?: unknown;
  mode?: unknown;
  owner?: unknown;
  group?: unknown;
}): Problem[] {
  return [
    ...absolutePathProblems("path", inputs.path),
    ...modeProblems("mode", inputs.mode),
    ...identityProblems("owner", inputs.owner),
    ...identityProblems("group", inputs.group),
  ];
}
