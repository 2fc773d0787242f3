/**
 * The orchestrator's command line, written as the unit's ExecStart=. systemd gives some characters
 * a meaning of its own there: a leading '+' or '!' runs the program as root whatever User= says,
 * '%' starts a specifier, a lone ';' starts a second command, and an unclosed quote swallows the
 * rest of the line. The model accepts a line that systemd reads as exactly the command written.
 */
import { lineProblem } from "./text";
import { normalizedPathProblem } from "./paths";

/** systemd's split of an ExecStart= line into words, or a problem (an unclosed quote, a trailing '\'). */
function words(line: string): string[] | string {
  const out: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\") {
      if (i + 1 >= line.length) return "ends in a lone '\\'";
      word = (word ?? "") + line[++i];
    } else if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? "") + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word = word ?? "";
    } else if (c === " " || c === "\t") {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else word = (word ?? "") + c;
  }
  if (quote) return `has an unclosed ${quote}`;
  if (word !== undefined) out.push(word);
  return out;
}

export function commandLineProblem(line: string): string | undefined {
  const expected =
    "expected the command line that starts the orchestrator, e.g. /opt/lyra/orchestrator/venv/bin/uvicorn lyra.orchestrator:app --port ${PORT}";
  const broken = lineProblem(line);
  if (broken) return `${expected}; this one ${broken}`;
  const split = words(line);
  if (typeof split === "string") return `${expected}; this one ${split}`;
  if (split.length === 0) return expected;
  if (!line.startsWith("/")) {
    return `expected the program's absolute path first, e.g. /opt/lyra/orchestrator/venv/bin/uvicorn (systemd's prefixes such as '+', '!' or '-' are refused: '+' and '!' would run it as root)`;
  }
  const program = split[0] === "/" ? "/ is the root directory, not a program" : normalizedPathProblem(split[0]);
  if (program) return `expected the program's absolute path first: ${program}`;
  if (split.includes(";")) return "expected one command (systemd reads a lone ';' as the start of a second one)";
  if (line.replace(/%%/g, "").includes("%"))
    return "expected no '%' (systemd expands %-specifiers in ExecStart=; write %% for a literal %)";
  return undefined;
}
