/**
 * The site's shell blocks, and how a reader (or a test) knows where each command runs. Every
 * fenced `sh` block opens with one line saying where: `# on <host>, as root` (logged in over SSH,
 * root or through `sudo -i`), or `# on the operator's machine, in the checkout` (where `pulumi`
 * and `npm run verify` work, the stack's secrets are at hand and SSH reaches every host). Every
 * other line that is not a comment is one command, run as it stands. The same module writes the
 * convention and reads it back (`docsCommands`), so the docs and the test that runs their
 * commands cannot drift apart.
 */
import { codeBlock, type DocsPage } from "./markdown";

/** Where a block's commands run: a fleet host (as root) or the operator's machine. */
export type Where = { host: string } | "operator";

const operatorLine = "# on the operator's machine, in the checkout";
const hostLine = (host: string) => `# on ${host}, as root`;
const hostPattern = /^# on ([a-z0-9][a-z0-9-]*), as root$/;

/**
 * curl as a recovery command runs it right after `systemctl restart`: exit non-zero on an HTTP
 * error (-f), and give the service up to about 10 s to come up (connection refused, 503) before
 * saying it is down. Without the retries the runbook's "restart, then check" failed on a healthy
 * mkdocs, Node-RED or orchestrator that was still starting.
 */
export const curlAfterRestart = "curl -fsS --retry 10 --retry-delay 1 --retry-connrefused";

/** A fenced `sh` block whose first line says where its commands run. */
export function shellBlock(where: Where, lines: readonly string[]): string {
  return codeBlock([where === "operator" ? operatorLine : hostLine(where.host), ...lines], "sh");
}

/**
 * The values a reader fills in before running a command, each declared once with what to put
 * there (the lab test fills each in the same way: test/pulumi/docs-commands.ts). A command with
 * any other `<...>` makes `docsCommands` fail.
 */
export const placeholders = {
  /** The operator's SSH key: the `ssh-private-key` stack secret saved as a file (its .pub beside it). */
  operatorKey: "<operator-key>",
  /** A backup id, as the `lyra-restore --list <data set>` line before it prints them (first column). */
  snapshotId: "<snapshot id>",
} as const;

export type Placeholder = (typeof placeholders)[keyof typeof placeholders];

const declared: readonly string[] = Object.values(placeholders);
// `<word ...>` as the pages write placeholders; a shell redirect (`< file`, `2>&1`) does not match.
const placeholderPattern = /<[a-z][a-z -]*[a-z]>/g;

/** One command of a page, as printed, with where it runs and the placeholders it needs filled in. */
export interface DocsCommand {
  page: string;
  where: Where;
  command: string;
  placeholders: Placeholder[];
}

/** Every command in the page's fenced `sh` blocks, in page order; throws on a block that breaks the convention. */
export function docsCommands(page: DocsPage): DocsCommand[] {
  const commands: DocsCommand[] = [];
  const lines = page.content.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(`{3,})(\S*)$/.exec(lines[i]);
    if (!fence) continue;
    const end = lines.indexOf(fence[1], i + 1);
    if (end < 0) throw new Error(`${page.path} line ${i + 1}: the code block never ends (expected ${fence[1]})`);
    const body = lines.slice(i + 1, end);
    i = end;
    if (fence[2] !== "sh") continue;
    const where = whereOf(body[0] ?? "");
    if (where === undefined) {
      throw new Error(
        `${page.path}: a sh block opens with '${body[0] ?? ""}' (expected '${operatorLine}' or '${hostLine("<host>")}')`,
      );
    }
    for (const command of body.slice(1)) {
      if (command.trim() === "" || command.trimStart().startsWith("#")) continue;
      const found = [...new Set(command.match(placeholderPattern) ?? [])];
      const unknown = found.filter((p) => !declared.includes(p));
      if (unknown.length > 0) {
        throw new Error(
          `${page.path}: '${command}' needs ${unknown.join(", ")} filled in (declared placeholders: ${declared.join(", ")})`,
        );
      }
      commands.push({ page: page.path, where, command, placeholders: found as Placeholder[] });
    }
  }
  return commands;
}

function whereOf(line: string): Where | undefined {
  if (line === operatorLine) return "operator";
  const host = hostPattern.exec(line)?.[1];
  return host === undefined ? undefined : { host };
}
