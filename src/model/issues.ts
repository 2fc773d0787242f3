/**
 * Problems with a stack, as users read them: the dotted path of the field and what was expected.
 * Every field's schema says what it expects; `expectedFor` is the fallback for a check that does
 * not (a list where a map was due, a missing section), so no parser's own wording reaches a user.
 */
import type { z } from "zod";

export interface ModelIssue {
  /** Dotted path in the fleet object, e.g. "hosts.mirror-2.address". */
  path: string;
  message: string;
}

const typeNames: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a map of settings",
  record: "a map of settings",
};

/** Per-parse error map: the message for an issue its schema gave no words for. */
export function expectedFor(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${typeNames[issue.expected] ?? issue.expected}`;
    case "too_small":
      return issue.origin === "array"
        ? `expected at least ${issue.minimum} entries`
        : issue.origin === "string"
          ? `expected at least ${issue.minimum} characters`
          : `expected at least ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array"
        ? `expected at most ${issue.maximum} entries`
        : issue.origin === "string"
          ? `expected at most ${issue.maximum} characters`
          : `expected at most ${issue.maximum}`;
    case "invalid_value":
      return `expected one of: ${issue.values.map(String).join(", ")}`;
    case "unrecognized_keys":
      return "unknown field (check its spelling against the configuration reference)";
    default:
      return "expected a value as the configuration reference describes it";
  }
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A name from the stack as one printable line: a key holding a line break must not forge another line of the message. */
export function printable(name: string): string {
  return name.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** zod's issues as ModelIssues under `prefix` (the path of the object that `raw` is). */
export function toModelIssues(error: z.ZodError, raw: unknown, prefix: string[] = []): ModelIssue[] {
  const issues: ModelIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path.map((key) => printable(String(key)))];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) issues.push({ path: [...path, printable(key)].join("."), message: issue.message });
    } else if (issue.code === "invalid_key") {
      const keyMessage = issue.issues[0]?.message ?? "invalid name";
      issues.push({ path: path.join("."), message: `invalid name '${path.at(-1)}': ${keyMessage}` });
    } else if (issue.code === "invalid_type" && valueAt(raw, issue.path) === undefined) {
      issues.push({ path: path.join("."), message: `missing; ${issue.message}` });
    } else {
      issues.push({ path: path.join("."), message: issue.message });
    }
  }
  return issues;
}

/** A schema that also passes `problem` (undefined when the value is fine, else what was expected). */
export function withRule<T extends z.ZodType>(schema: T, problem: (value: z.output<T>) => string | undefined): T {
  return schema.superRefine((value, ctx) => {
    const found = problem(value);
    if (found) ctx.addIssue({ code: "custom", message: found });
  });
}
