/**
 * Building remote command lines. Only names, paths and modes ever go on a command line; content
 * always travels on stdin, so it never shows up in `ps`, in sudo's log or in an error message.
 */

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `sh -c '<script>' lyra-host '<arg1>' ...`: the script reads its arguments as "$1", "$2", ... */
export function shellScriptCommand(script: string, args: readonly string[] = []): string {
  return ["sh", "-c", shellQuote(script), "lyra-host", ...args.map(shellQuote)].join(" ");
}
