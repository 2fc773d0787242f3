/**
 * Artifacts for tests: .tar.gz files made with the real `tar`, and their sha256, so a test
 * declares exactly what a release pipeline would pin.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A .tar.gz made from `files` (path inside the archive -> content; "bin/app" is made executable). */
export function makeArtifact(out: string, files: Record<string, string>): { file: string; sha256: string } {
  const tree = mkdtempSync(join(tmpdir(), "lyra-artifact-tree-"));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), content, { mode: path.startsWith("bin/") ? 0o755 : 0o644 });
    }
    mkdirSync(dirname(out), { recursive: true });
    execFileSync("tar", ["-czf", out, "-C", tree, "."]);
    return { file: out, sha256: createHash("sha256").update(readFileSync(out)).digest("hex") };
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}
