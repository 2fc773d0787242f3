/**
 * Where an entry goes: a local docs directory (`--docs <dir>`, the mkdocs docs_dir), or the docs
 * tree on the host running mkdocs, over the fleet's own SSH transport. A new day's file starts with
 * its header; an existing one gets the new section appended, never rewritten.
 */
import { appendFileSync, existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeDirectories } from "../cli/files";
import type { HostConnection } from "../host/transport/connection";
import { runRemote, runRemoteChecked } from "../host/transport/ssh";
import { docsDir, docsRoot, entriesDir } from "../render/docs/paths";

export interface Written {
  /** "vega:/opt/lyra/docs/docs/entries/2026-11-28-runbook.md" or a local path. */
  where: string;
  appended: boolean;
}

/** The entries directory on the docs host. */
export const remoteEntriesDir = `${docsRoot}/${docsDir}/${entriesDir}`;

export function writeLocal(docs: string, fileName: string, header: string, section: string): Written {
  if (!existsSync(docs) || !statSync(docs).isDirectory())
    throw new Error(`--docs: ${docs} is not a directory (expected the docs tree, the folder holding index.md)`);
  const dir = join(docs, entriesDir);
  try {
    makeDirectories(dir);
  } catch (err) {
    throw new Error(`--docs: ${(err as Error).message}`);
  }
  const path = join(dir, fileName);
  if (existsSync(path)) {
    appendFileSync(path, `\n${section}`);
    return { where: path, appended: true };
  }
  writeFileSync(path, `${header}\n${section}`, { mode: 0o644 });
  return { where: path, appended: false };
}

export async function writeRemote(
  connection: HostConnection,
  fileName: string,
  header: string,
  section: string,
): Promise<Written> {
  const path = `${remoteEntriesDir}/${fileName}`;
  const where = `${connection.host}:${path}`;
  // Only the path travels as an argument; the entry goes over stdin (never on a command line).
  const probe = await runRemote(
    connection,
    '[ -d "${1%/*}" ] || exit 3; if [ -e "$1" ]; then echo exists; else echo new; fi',
    {
      purpose: `look for ${path}`,
      args: [path],
      timeoutMs: 20_000,
    },
  );
  if (probe.exitCode === 3)
    throw new Error(
      `${connection.host}: ${remoteEntriesDir} does not exist; is the docs site deployed there (pulumi up)?`,
    );
  if (probe.exitCode !== 0) throw new Error(`${connection.host}: cannot look for ${path} (exit ${probe.exitCode})`);
  const appended = probe.stdout.trim() === "exists";
  await runRemoteChecked(connection, appended ? 'cat >> "$1"' : 'umask 022; cat > "$1"', {
    purpose: `${appended ? "append to" : "write"} ${path}`,
    args: [path],
    stdin: appended ? `\n${section}` : `${header}\n${section}`,
    writes: true,
    timeoutMs: 20_000,
  });
  return { where, appended };
}
