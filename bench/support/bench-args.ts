/**
 * The command line the program benches share: mirror counts as bare numbers, `--runs N`, and other
 * `--flag value` options. A value after a flag is never taken for a mirror count.
 */
export interface BenchArgs {
  /** The value given after `flag`, if any. */
  option: (flag: string) => string | undefined;
  /** `--runs`: how many runs each figure is the median of. */
  runs: number;
  /** The mirror counts given, or `defaults` when none. */
  sizes: number[];
}

export function benchArgs(args: string[], defaults: { runs: number; sizes: number[] }): BenchArgs {
  const option = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const runs = Number(option("--runs") ?? defaults.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a whole number of runs, at least 1`);
  const counts = args
    .filter((a, i) => !args[i - 1]?.startsWith("--") && !a.startsWith("--"))
    .map(Number)
    .filter((n) => n > 0);
  return { option, runs, sizes: counts.length > 0 ? counts : defaults.sizes };
}
