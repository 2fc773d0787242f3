/**
 * The mkdocs hook that lists the incident records on entries/index.md. Entries are written by the
 * record command between deployments, so no page the stack renders can know them; mkdocs 1.4's
 * `hooks:` runs this at every build (and `mkdocs serve` rebuilds when an entry appears), newest
 * first, each linked by its title. A Python file beside mkdocs.yml, outside docs_dir.
 */
import { entriesDir, entriesIndexPath } from "./paths";

/** Relative to docsRoot, as mkdocs.yml's `hooks:` names it. */
export const entriesHookPath = "entries_hook.py";

export const entriesHook = `# Managed by lyra-fleet: edits are reverted by \`pulumi up\`.
# Lists the incident records (${entriesDir}/*.md, written by the record command) on ${entriesIndexPath}.
import os
import re

INDEX = "${entriesIndexPath}"
PREFIX = "${entriesDir}/"


def _title(path, fallback):
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"#\\s+(.+?)\\s*$", line)
                if m:
                    return m.group(1)
    except OSError:
        pass
    return fallback


def on_page_markdown(markdown, page, config, files, **kwargs):
    if page.file.src_path.replace(os.sep, "/") != INDEX:
        return markdown
    entries = []
    for f in files.documentation_pages():
        path = f.src_path.replace(os.sep, "/")
        if path.startswith(PREFIX) and path != INDEX and "/" not in path[len(PREFIX):]:
            entries.append((path[len(PREFIX):], f.abs_src_path))
    entries.sort(reverse=True)
    lines = ["", "## Entries", ""]
    if not entries:
        lines.append("_No incident recorded yet._")
    for name, abs_path in entries:
        title = _title(abs_path, name[:-3]).replace("[", "\\\\[").replace("]", "\\\\]")
        lines.append("- [%s](%s)" % (title, name))
    return markdown.rstrip("\\n") + "\\n" + "\\n".join(lines) + "\\n"
`;
