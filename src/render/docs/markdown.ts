/**
 * Markdown building blocks for the docs site. Every value that comes from the model or a plan goes
 * through `code` or `text`, so a `|`, `<` or backtick in a path or command can never break a table,
 * turn into raw HTML or end a code span early.
 */

/** One page of the site: its path under docs_dir and its Markdown. */
export interface DocsPage {
  /** Relative to docs_dir, with forward slashes, e.g. "hosts/vega.md". */
  path: string;
  /** The page's title, also its nav label. */
  title: string;
  content: string;
}

function longestRun(s: string, ch: string): number {
  // Most values hold none, and the docs of 1000 mirrors make about 284,000 code spans.
  if (!s.includes(ch)) return 0;
  let longest = 0;
  let run = 0;
  for (const c of s) {
    run = c === ch ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/**
 * An inline code span. Python-Markdown does not split table cells on a `|` inside a code span, and
 * a backslash there would show literally, so nothing but backticks needs care.
 */
export function code(value: string | number): string {
  const raw = String(value);
  const s = raw.includes("\n") ? raw.replace(/\s*\n\s*/g, " ") : raw;
  const fence = "`".repeat(longestRun(s, "`") + 1);
  const pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Plain text inside a paragraph or table cell: Markdown and HTML specials escaped. */
export function text(value: string | number): string {
  return String(value)
    .replace(/\s*\n\s*/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|#])/g, "\\$1");
}

/** A fenced code block; the fence outgrows any backtick run in the content. */
export function codeBlock(lines: readonly string[], lang = ""): string {
  const body = lines.join("\n");
  const fence = "`".repeat(Math.max(3, longestRun(body, "`") + 1));
  return `${fence}${lang}\n${body}\n${fence}`;
}

/** A table whose cells are already Markdown (use `code`/`text` on values); empty cells show a dash. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => (c === "" ? "-" : c)).join(" | ")} |`;
  return [line(header), `|${header.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}

/** A table, or a sentence saying there is nothing to list (an empty table renders as a bare header). */
export function tableOr(header: readonly string[], rows: readonly (readonly string[])[], none: string): string {
  return rows.length > 0 ? table(header, rows) : `_${none}_`;
}

/** A relative link between two pages of the site (paths relative to docs_dir). */
export function link(label: string, fromPage: string, toPage: string): string {
  const depth = fromPage.split("/").length - 1;
  return `[${label}](${"../".repeat(depth)}${toPage})`;
}

/** Blocks joined by blank lines, ending with one newline (Markdown needs the blank lines around tables). */
export function page(blocks: readonly (string | false | undefined)[]): string {
  return blocks.filter((b): b is string => typeof b === "string" && b !== "").join("\n\n") + "\n";
}

/** "a, b, c" with each item in a code span, or a dash. */
export function codeList(items: readonly (string | number)[]): string {
  return items.length > 0 ? items.map(code).join(", ") : "-";
}
