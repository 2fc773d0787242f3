/**
 * Verify and the generated docs never disagree: for the home stack, the checks verify would run
 * (prepareVerify, the command's own code path) are exactly the checks the site lists, both on
 * checks.md and on each host's page. And the plans hold every verification of the runbook, so
 * "every check of every plan" really is the runbook's list.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadStackFile } from "../../../src/model/load";
import { planFleet } from "../../../src/render";
import { prepareVerify } from "../../../src/verify/prepare";
import { throwawayPrivateKey } from "../../support/test-secrets";
import { kindGroups } from "../../../src/verify/reach";
import { brokerOf } from "../../../src/services/mqtt-broker/placement";

const root = join(__dirname, "..", "..", "..");
const stackFile = join(root, "stacks", "Pulumi.home.yaml");
const fleet = loadStackFile(stackFile);
const plans = planFleet(fleet);

/** The site's pages on the docs host, by path under docs_dir. */
function sitePages(): Map<string, string> {
  const docsHost = plans.find((p) => p.files.some((f) => f.path === "/opt/lyra/docs/mkdocs.yml"));
  assert.ok(docsHost, "no host carries the docs site");
  const prefix = "/opt/lyra/docs/docs/";
  return new Map(
    docsHost.files.filter((f) => f.path.startsWith(prefix)).map((f) => [f.path.slice(prefix.length), f.content]),
  );
}

/** The text of a code span cell (`name`, or ``name`` when the name holds a backtick). */
function codeCell(cell: string): string {
  const m = /^(`+) ?(.*?) ?\1$/.exec(cell.trim());
  assert.ok(m, `not a code span: ${cell}`);
  return m[2];
}

/** Table rows of a Markdown block, as cells (header and separator dropped). */
function rows(markdown: string): string[][] {
  return markdown
    .split("\n")
    .filter((l) => l.startsWith("|"))
    .slice(2)
    .map((l) => l.slice(2, -2).split(" | "));
}

function section(page: string, heading: string): string {
  const start = page.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `no '${heading}' section`);
  const next = page.indexOf("\n## ", start + heading.length + 2);
  return page.slice(start, next < 0 ? undefined : next);
}

const verifySet = () => {
  const prepared = prepareVerify({
    stackFile,
    options: { timeoutMs: 1000 },
    // Placeholder secrets: prepareVerify reads them, nothing connects anywhere in this test.
    env: { LYRA_SECRET_MQTT_PASSWORD_MONITOR: "placeholder", LYRA_SECRET_SSH_PRIVATE_KEY: throwawayPrivateKey() },
  });
  return prepared.checks.map((c) => `${c.host}\t${c.check.kind}\t${c.check.name}`).sort();
};

test("the checks verify runs for the home stack are exactly those checks.md lists", () => {
  const listed = rows(sitePages().get("checks.md")!).map((cells) => {
    const host = /^\[([^\]]+)\]\(/.exec(cells[0])?.[1];
    assert.ok(host, `no host link in ${cells[0]}`);
    return `${host}\t${cells[2]}\t${codeCell(cells[1])}`;
  });
  const runs = verifySet();
  assert.ok(runs.length > 40, `expected the whole fleet's checks, got ${runs.length}`);
  assert.deepEqual(listed.sort(), runs);
});

test("each host page lists exactly the checks verify runs on that host", () => {
  const pages = sitePages();
  const runs = verifySet();
  for (const host of fleet.hosts) {
    const table = section(pages.get(`hosts/${host.name}.md`)!, "## Health checks");
    const listed = rows(table).map((cells) => `${host.name}\t${cells[1]}\t${codeCell(cells[0])}`);
    assert.deepEqual(
      listed.sort(),
      runs.filter((r) => r.startsWith(`${host.name}\t`)),
      host.name,
    );
  }
});

test("the plans hold the runbook's whole verification for the home stack", () => {
  const all = plans.flatMap((p) => p.checks.map((c) => ({ host: p.host, ...c })));
  const has = (pred: (c: (typeof all)[number]) => boolean, what: string) =>
    assert.ok(all.some(pred), `missing: ${what}`);
  for (const url of ["/healthz", "/readyz"]) has((c) => c.kind === "http" && c.url.endsWith(url), `HTTP ${url}`);
  has((c) => c.kind === "http" && c.name.includes("Node-RED"), "Node-RED over HTTP");
  has((c) => c.kind === "http" && c.name.includes("docs site"), "MkDocs over HTTP");
  has((c) => c.kind === "mqtt-roundtrip" && c.topic === "lyra/test", "MQTT round trip on lyra/test");
  has((c) => c.kind === "container" && c.host === brokerOf(fleet).host, "the broker container's health (docker mode)");
  has((c) => c.kind === "command" && /upsc|ups/i.test(c.name), "the UPS status");
  for (const host of fleet.hosts) {
    has((c) => c.kind === "mqtt-fresh" && c.topic === `lyra/health/${host.name}`, `fresh lyra/health/${host.name}`);
    has(
      (c) => c.host === host.name && c.kind === "command" && c.name.endsWith("clock synchronized"),
      `${host.name}: clock synchronized`,
    );
    if (host.role !== "mirror") continue;
    has(
      (c) => c.kind === "mqtt-fresh" && c.topic === `lyra/presence/${host.name}` && c.withinSeconds === 60,
      `${host.name}: heartbeat within 60 s`,
    );
    has(
      (c) => c.kind === "mqtt-registered" && c.client === host.name && c.topic === `lyra/clients/online/${host.name}`,
      `${host.name}: registration`,
    );
  }
  // Every release artifact is checked installed at its pinned version and digest.
  for (const plan of plans)
    for (const artifact of plan.artifacts)
      has(
        (c) =>
          c.host === plan.host &&
          c.kind === "command" &&
          c.name === `${plan.host}: ${artifact.key} ${artifact.version} installed` &&
          c.command.includes(`'${artifact.sha256} ${artifact.version}' ${artifact.installDir}/.lyra-artifact`),
        `${plan.host}: ${artifact.key} installed`,
      );
  assert.ok(
    plans.some((p) => p.artifacts.length > 0),
    "the home stack installs artifacts",
  );
  // Every declared unit that should be running is checked over SSH.
  for (const plan of plans) {
    const checked = new Set(plan.checks.flatMap((c) => (c.kind === "unit" ? [c.unit] : [])));
    for (const unit of plan.units.filter((u) => u.active))
      assert.ok(checked.has(unit.name), `${plan.host}: no check that ${unit.name} is active`);
  }
});

test("each recovery scenario's verify command names a group verify knows, holding exactly the checks the page lists", () => {
  const scenarios = plans.flatMap((p) => p.recovery.flatMap((r) => (r.scenario ? [r.scenario] : [])));
  assert.ok(scenarios.length > 0, "the home stack has the broker's scenario");
  for (const scenario of scenarios) {
    assert.deepEqual(
      [...(kindGroups[scenario.verify.only] ?? [])].sort(),
      [...scenario.verify.kinds].sort(),
      scenario.title,
    );
    assert.ok(
      sitePages().get("recovery.md")!.includes(`--only ${scenario.verify.only} --watch`),
      `recovery.md: ${scenario.title}`,
    );
  }
});
