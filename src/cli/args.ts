/** A small, strict argument parser shared by the CLIs: unknown flags are errors, not surprises. */

import { UsageError } from "../verify/usage-error";

export { UsageError };

export interface FlagSpec {
  /** Flags that take a value (`--stack home`). */
  values: string[];
  /** Flags that are switches (`--show-secrets`). */
  switches: string[];
}

export function parseArgs(argv: string[], spec: FlagSpec): { values: Record<string, string>; switches: Set<string> } {
  const values: Record<string, string> = {};
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    const name = flag.replace(/^--/, "");
    if (!flag.startsWith("--")) throw new UsageError(`unexpected argument '${arg}'`);
    if (spec.switches.includes(name)) {
      switches.add(name);
    } else if (spec.values.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      // An empty value (`--host ""`, an unset shell variable) would read as the flag not given.
      if (value === "") throw new UsageError(`${flag} needs a value, not an empty one`);
      // The last of two would silently win: which stack or host was meant is the operator's to say.
      if (Object.hasOwn(values, name))
        throw new UsageError(`${flag} is given twice ('${values[name]}' and '${value}'): give it once`);
      values[name] = value;
    } else {
      throw new UsageError(`unknown option '${flag}'`);
    }
  }
  return { values, switches };
}

/**
 * A flag's comma-separated names (`--host vega,mirror-1`), or [] when the flag is absent. An empty
 * name (`vega,`, `,`: a list built in a shell loop) is refused: left out, `--host ,` would select
 * every host.
 */
export function commaList(flag: string, value: string | undefined): string[] {
  if (value === undefined) return [];
  const names = value.split(",").map((s) => s.trim());
  if (names.some((name) => name === ""))
    throw new UsageError(
      `--${flag}: an empty name in '${value}' (expected names separated by commas, e.g. vega,mirror-1)`,
    );
  return names;
}
