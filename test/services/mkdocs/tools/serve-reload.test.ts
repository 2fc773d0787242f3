/**
 * The docs site's pages restart nothing when they change (a host page naming a new pin): the real
 * `mkdocs serve`, started as the unit starts it, serves the changed page by itself. Only mkdocs.yml
 * and the hook restart mkdocs.service (src/render/docs/site.ts).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { loadStackFile } from "../../../../src/model/load";
import { renderDocsTree } from "../../../../src/render/docs/site";
import { planFleet } from "../../../../src/render/index";
import { freePort } from "../../../support/free-port";

const root = join(__dirname, "..", "..", "..", "..");

/** The page's text once it contains `wanted`, polling every half second; undefined at the deadline. */
async function served(url: string, wanted: string, deadlineMs: number): Promise<string | undefined> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      const text = await response.text();
      if (response.ok && text.includes(wanted)) return text;
    } catch {
      // not listening yet, or rebuilding
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return undefined;
}

test("mkdocs serve serves a changed page without a restart", { timeout: 180_000 }, async () => {
  const fleet = loadStackFile(join(root, "stacks/Pulumi.home.yaml"));
  const docsHost = fleet.hosts.find((h) => h.services.mkdocs)!;
  const dir = mkdtempSync(join(tmpdir(), "lyra-docs-serve-"));
  for (const f of renderDocsTree(fleet, docsHost, planFleet(fleet))) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  const port = await freePort();
  const server = spawn(
    "mkdocs",
    ["serve", "--dev-addr", `127.0.0.1:${port}`, "--config-file", join(dir, "mkdocs.yml")],
    {
      cwd: dir,
      stdio: "ignore",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    },
  );
  try {
    const page = `http://127.0.0.1:${port}/hosts/lyra/`;
    assert.ok(await served(page, "lyra", 60_000), "mkdocs serve answers with lyra's page");
    const proof = `reload-proof-${randomBytes(4).toString("hex")}`;
    appendFileSync(join(dir, "docs", "hosts", "lyra.md"), `\n${proof}\n`);
    assert.ok(await served(page, proof, 60_000), "the changed page is served by the same process");
    assert.equal(server.exitCode, null, "mkdocs serve kept running: nothing restarted it");
  } finally {
    server.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
});
