/**
 * Loading the fleet: from a stack file (render, verify, tests) or from the object Pulumi's config
 * hands the program. One entry point, one error type that lists every problem with its path.
 */
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { FleetModel } from "./fleet";
import { expectedFor, toModelIssues, type ModelIssue } from "./issues";
import { resolveFleet } from "./resolve";
import { fileErrorReason, readRegularFile } from "./read-file";
import { fleetSchema } from "./schema";

/** The project's config namespace and the key holding the fleet object. */
export const fleetConfigKey = "lyra-fleet:fleet";

/** An invalid stack: every problem, each with the stack file and the path. Carries no stack trace. */
export class FleetConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: ModelIssue[],
  ) {
    const lines = issues.map((i) => `  - ${i.path || "(top level)"}: ${i.message}`);
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(`${source}: ${count} in ${fleetConfigKey}; nothing was changed:\n${lines.join("\n")}`);
    this.name = "FleetConfigError";
    // The message is the whole story; a stack trace would only bury it.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** Validate the fleet object (from `config.requireObject("fleet")` or a stack file). */
export function parseFleet(raw: unknown, source: string): FleetModel {
  if (raw === undefined || raw === null) {
    throw new FleetConfigError(source, [
      { path: "", message: `missing; expected the fleet object under config key ${fleetConfigKey}` },
    ]);
  }
  const reserved = reservedKeys(raw);
  const parsed = fleetSchema().safeParse(raw, { error: expectedFor });
  if (!parsed.success) throw new FleetConfigError(source, [...reserved, ...toModelIssues(parsed.error, raw)]);
  if (reserved.length > 0) throw new FleetConfigError(source, reserved);
  const { fleet, issues } = resolveFleet(parsed.data, source);
  if (!fleet) throw new FleetConfigError(source, issues);
  return fleet;
}

/**
 * Every `__proto__` key, which YAML and JSON parse as a key like any other: zod's records drop it
 * without a word, so a host or user of that name would vanish from the fleet. No field takes it.
 */
function reservedKeys(value: unknown, path = ""): ModelIssue[] {
  if (value === null || typeof value !== "object") return [];
  return Object.keys(value).flatMap((key) => {
    const at = path === "" ? key : `${path}.${key}`;
    if (key === "__proto__")
      return [{ path: at, message: "invalid name '__proto__': expected letters, digits and dashes, e.g. mirror-3" }];
    return reservedKeys((value as Record<string, unknown>)[key], at);
  });
}

/** A stack file is written by hand: a few aliases are normal, thousands of expansions are an attack. */
const maxAliasExpansions = 100;

/** The home stack with 1000 mirrors is 237 KB of YAML: no real stack file comes near this. */
const STACK_FILE_MAX_BYTES = 16 * 1024 * 1024;

/** Read `stacks/Pulumi.<stack>.yaml` (or any path) and validate its fleet object. */
export function loadStackFile(path: string): FleetModel {
  let text: string;
  try {
    text = readRegularFile(path, STACK_FILE_MAX_BYTES);
  } catch (err) {
    throw new FleetConfigError(path, [{ path: "", message: `cannot read the stack file: ${fileErrorReason(err)}` }]);
  }
  // resolveKnownTags off: YAML 1.1's !!binary, !!timestamp, !!set, !!omap and !!pairs stay tags
  // yaml cannot resolve, refused below with any other, instead of a Buffer, Date or Set.
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, resolveKnownTags: false });
  // yaml only warns of a tag it cannot resolve (`!foo bar`), and then reads the value as if untagged.
  const unknownTags = doc.warnings.filter((w) => w.code === "TAG_RESOLVE_FAILED");
  if (doc.errors.length > 0 || unknownTags.length > 0) {
    throw new FleetConfigError(path, [
      ...doc.errors.map((e) => ({
        path: "",
        message: `invalid YAML at line ${e.linePos?.[0].line ?? "?"}: ${e.message.split("\n")[0]}`,
      })),
      ...unknownTags.map((w) => ({
        path: "",
        message: `invalid YAML at line ${w.linePos?.[0].line ?? "?"}: ${tagProblem(w.message)}`,
      })),
    ]);
  }
  let root: { config?: Record<string, unknown> } | null;
  try {
    // yaml refuses to expand aliases past maxAliasCount (an "alias bomb" grows exponentially).
    root = doc.toJS({ maxAliasCount: maxAliasExpansions }) as typeof root;
  } catch (err) {
    // yaml's own message is not for users (and some quote the document): say what was expected.
    const aliases = /alias/i.test((err as Error).message);
    const message = aliases
      ? `invalid YAML: its aliases (*name) expand to more than ${maxAliasExpansions} copies; expected a stack file without nested aliases`
      : "invalid YAML: expected plain data (maps, lists, strings, numbers and booleans)";
    throw new FleetConfigError(path, [{ path: "", message }]);
  }
  if (root !== null && (typeof root !== "object" || Array.isArray(root))) {
    throw new FleetConfigError(path, [
      { path: "", message: "expected a Pulumi stack file: a map with a `config:` section" },
    ]);
  }
  const fleet = root?.config?.[fleetConfigKey];
  const notPlain = notPlainData(fleet);
  if (notPlain.length > 0) throw new FleetConfigError(path, notPlain);
  return parseFleet(fleet, path);
}

/** "Unresolved tag: tag:yaml.org,2002:binary at line 1, column 4:..." -> "unknown tag !!binary; expected ...". */
function tagProblem(message: string): string {
  const tag = /^Unresolved tag: (\S+)/.exec(message)?.[1]?.replace(/^tag:yaml\.org,2002:/, "!!") ?? "?";
  return `unknown tag ${tag}; expected plain data (maps, lists, strings, numbers and booleans) without tags`;
}

/**
 * What YAML 1.1 (a `%YAML 1.1` line) reads as other than plain data: a date from `2024-01-01`, bytes
 * from `!!binary`, a set. zod would call a date "expected string" without saying why it is one.
 */
function notPlainData(value: unknown, path = ""): ModelIssue[] {
  if (value === null || typeof value !== "object") return [];
  const listOrMap = Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype;
  if (!listOrMap) {
    const message =
      value instanceof Date
        ? "found a date; expected plain data (quote it, or drop the %YAML 1.1 line)"
        : `found ${value instanceof Uint8Array ? "binary data" : "a YAML 1.1 type"}; expected plain data (drop its tag and the %YAML 1.1 line)`;
    return [{ path, message }];
  }
  return Object.entries(value).flatMap(([key, item]) => notPlainData(item, path === "" ? key : `${path}.${key}`));
}

/** The stack file of a named stack, relative to the project root (Pulumi.yaml's stackConfigDir). */
export function stackFilePath(stack: string, projectRoot = "."): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack))
    throw new Error(`invalid stack name '${stack}': expected letters, digits, '.', '_' or '-'`);
  return join(projectRoot, "stacks", `Pulumi.${stack}.yaml`);
}
