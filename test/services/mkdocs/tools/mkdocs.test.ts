/**
 * The generated docs site through the real `mkdocs build --strict` (Debian's mkdocs package):
 * the home stack's tree, the same tree after the record command adds an entry, and a tree whose
 * plans carry hostile characters. A broken link must fail the build, or these tests prove nothing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { loadStackFile } from "../../../../src/model/load";
import { planFleet } from "../../../../src/render/index";
import { renderDocsTree } from "../../../../src/render/docs/site";
import type { HostPlan } from "../../../../src/render/plan";

const root = join(__dirname, "..", "..", "..", "..");
const fleet = loadStackFile(join(root, "stacks/Pulumi.home.yaml"));
const docsHost = fleet.hosts.find((h) => h.services.mkdocs)!;

const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function writeTree(files: readonly { path: string; content: string }[]): string {
  const dir = mkdtempSync(join(tmpdir(), "lyra-docs-"));
  made.push(dir);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  return dir;
}

/** `mkdocs build --strict` in dir, with a deadline: a hung build fails the test instead of CI. */
function build(dir: string): { status: number | null; output: string } {
  const r = spawnSync("mkdocs", ["build", "--strict", "--site-dir", join(dir, "site")], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  if (r.error) throw new Error(`mkdocs could not run (install Debian's mkdocs package): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function assertBuilds(dir: string): string {
  const { status, output } = build(dir);
  assert.equal(status, 0, `mkdocs build --strict failed:\n${output}`);
  assert.doesNotMatch(output, /WARNING/, output);
  return output;
}

test("the home stack's docs build with mkdocs --strict, also once an incident entry is added", () => {
  const dir = writeTree(renderDocsTree(fleet, docsHost, planFleet(fleet)));
  assertBuilds(dir);
  for (const h of fleet.hosts)
    assert.ok(existsSync(join(dir, "site", "hosts", h.name, "index.html")), `no page for ${h.name}`);

  // What the record command will do: a new file, no change to mkdocs.yml.
  writeFileSync(
    join(dir, "docs", "entries", "2026-01-01-runbook.md"),
    "# 2026-01-01: broker restarted\n\nSee [Recovery](../recovery.md).\n",
  );
  const output = assertBuilds(dir);
  assert.match(output, /INFO.*not included in the "nav" configuration:\s*- entries\/2026-01-01-runbook\.md/, output);
  assert.ok(existsSync(join(dir, "site", "entries", "2026-01-01-runbook", "index.html")));
  // The entries hook (mkdocs.yml `hooks:`) lists the new entry on the index, linked by its title.
  assert.match(
    readFileSync(join(dir, "site", "entries", "index.html"), "utf8"),
    /<a href="2026-01-01-runbook\/">2026-01-01: broker restarted<\/a>/,
  );
  // entries/index.md tells readers to find entries with the site search: it must index them.
  assert.match(
    readFileSync(join(dir, "site", "search", "search_index.json"), "utf8"),
    /"location":"entries\/2026-01-01-runbook\/"/,
  );
});

test("mkdocs --strict fails on a broken link (the control for the tests above)", () => {
  const tree = renderDocsTree(fleet, docsHost, planFleet(fleet)).map((f) =>
    f.path === "docs/checks.md" ? { ...f, content: `${f.content}\n[gone](hosts/no-such-host.md)\n` } : f,
  );
  const { status, output } = build(writeTree(tree));
  assert.notEqual(status, 0, output);
  assert.match(output, /no-such-host\.md/);
});

test("plans with pipes, backticks, angle brackets and secret tokens still build, and render inside code", () => {
  const command = "chronyc -n tracking | grep -q `x` <y> @@secret:mqtt-password-monitor@@";
  const hostile = (p: HostPlan): HostPlan => ({
    ...p,
    checks: [...p.checks, { kind: "command", name: `${p.host}: hostile | check`, command }],
    recovery: [...p.recovery, { service: "zz-hostile", commands: ["echo '```'", "cat <<EOF | tee /tmp/x", "EOF"] }],
    containers: [
      ...p.containers,
      {
        name: "zz-box",
        image: `busybox@sha256:${"b".repeat(64)}`,
        ports: [{ container: 80, host: 8080, protocol: "tcp" }],
        mounts: [{ source: "/srv/a|b", target: "/a", readOnly: true, kind: "bind" }],
        restart: "always",
        healthcheck: { test: ["CMD", "true"], intervalSeconds: 30, timeoutSeconds: 5, retries: 3 },
        labels: {},
        configFiles: [],
      },
    ],
  });
  const dir = writeTree(renderDocsTree(fleet, docsHost, planFleet(fleet).map(hostile)));
  assertBuilds(dir);
  const html = readFileSync(join(dir, "site", "checks", "index.html"), "utf8");
  assert.ok(
    html.includes(
      "<td><code>chronyc -n tracking | grep -q `x` &lt;y&gt; &lt;secret mqtt-password-monitor&gt;</code> exits 0</td>",
    ),
    "the command stays whole in one cell, escaped, its secret masked",
  );
  const hostHtml = readFileSync(join(dir, "site", "hosts", docsHost.name, "index.html"), "utf8");
  assert.ok(
    hostHtml.includes("<code>/srv/a|b:/a:ro</code>"),
    "a pipe in a mount path does not split the containers table",
  );
});
