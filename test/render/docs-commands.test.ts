/**
 * The docs' commands can be read back from the rendered pages with no list kept by hand
 * (src/render/docs/shell.ts): each page's fenced `sh` blocks say where they run, every command a
 * plan declares for an operator is found on its page with that place, and a block that breaks
 * the convention fails naming its page. The lab test (test/pulumi/docs-commands.test.ts) runs them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadStackFile } from "../../src/model/load";
import { manualCommand } from "../../src/render/docs/checks";
import type { DocsPage } from "../../src/render/docs/markdown";
import { docsCommands, placeholders, type DocsCommand } from "../../src/render/docs/shell";
import { planFleet } from "../../src/render/index";

const root = join(__dirname, "..", "..");
const prefix = "/opt/lyra/docs/docs/";

function site(stack: string) {
  const plans = planFleet(loadStackFile(join(root, "stacks", `Pulumi.${stack}.yaml`)));
  const pages: DocsPage[] = plans
    .flatMap((p) => p.files)
    .filter((f) => f.path.startsWith(prefix) && f.path.endsWith(".md"))
    .map((f) => ({ path: f.path.slice(prefix.length), title: f.path, content: f.content! }));
  const commands = new Map(pages.map((p) => [p.path, docsCommands(p)]));
  return { plans, pages, commands };
}

const on = (commands: DocsCommand[] | undefined, where: DocsCommand["where"]) =>
  (commands ?? []).filter((c) => JSON.stringify(c.where) === JSON.stringify(where)).map((c) => c.command);

/** The lines of a list that a shell runs: comments and blank lines are for the reader. */
const runnable = (lines: readonly string[]) => lines.filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));

for (const stack of ["lab", "home"]) {
  test(`${stack} stack: each host page prints its checks and recovery commands, on the host or the operator's machine`, () => {
    const { plans, commands } = site(stack);
    for (const plan of plans) {
      const page = `hosts/${plan.host}.md`;
      const onHost = on(commands.get(page), { host: plan.host });
      const byHand = plan.checks.flatMap((c) => manualCommand(c) ?? []);
      const recovery = plan.recovery.flatMap((r) => runnable(r.commands));
      const fromOperator = plan.recovery.flatMap((r) => runnable(r.operatorCommands ?? []));
      assert.deepEqual(onHost, [...byHand, ...recovery], `${page}: the commands on ${plan.host}`);
      assert.deepEqual(
        on(commands.get(page), "operator"),
        [`npm run verify -- --stack ${stack} --host ${plan.host}`, ...fromOperator],
        `${page}: the operator's commands`,
      );
      assert.ok(onHost.length > 0, `${page} prints no command`);
    }
  });

  test(`${stack} stack: the recovery page prints the converge, the broker's commands on its host and each rebuild`, () => {
    const { plans, commands } = site(stack);
    const recovery = commands.get("recovery.md")!;
    const operator = on(recovery, "operator");
    assert.ok(operator.includes(`pulumi up --stack ${stack}`), `recovery.md: no pulumi up (${operator.join("; ")})`);
    assert.ok(operator.includes(`npm run verify -- --stack ${stack} --watch`), "recovery.md: no verify --watch");
    const broker = plans.find((p) => p.serves.some((s) => s.mqttBroker))!;
    const scenario = broker.recovery.find((r) => r.scenario)!;
    const onBroker = on(recovery, { host: broker.host });
    for (const command of runnable(scenario.commands))
      assert.ok(onBroker.includes(command), `recovery.md: '${command}' not on ${broker.host}`);
    for (const mirror of plans.filter((p) => p.services.includes("mqtt-client"))) {
      assert.ok(
        operator.includes(`npm run verify -- --stack ${stack} --host ${mirror.host} --watch`),
        `recovery.md: no rebuild of ${mirror.host}`,
      );
    }
    const keyed = recovery.filter((c) => c.placeholders.includes(placeholders.operatorKey));
    assert.ok(keyed.length > 0 && keyed.every((c) => c.command.startsWith("ssh-copy-id")), "ssh-copy-id's key");
    const restore = recovery.filter((c) => c.placeholders.includes(placeholders.snapshotId));
    assert.equal(restore.length, 1, "one restore of an older backup");
    assert.ok(restore[0].command.includes("lyra-restore"), restore[0].command);
  });

  test(`${stack} stack: the checks page prints verify; the overview and incident pages print no shell command`, () => {
    const { commands } = site(stack);
    assert.deepEqual(commands.get("checks.md"), [
      { page: "checks.md", where: "operator", command: `npm run verify -- --stack ${stack}`, placeholders: [] },
    ]);
    for (const page of ["index.md", "entries/index.md"]) assert.deepEqual(commands.get(page), [], page);
  });
}

test("a sh block that does not say where it runs, or a placeholder nobody declared, fails naming the page", () => {
  const page = (content: string): DocsPage => ({ path: "hosts/x.md", title: "x", content });
  assert.throws(
    () => docsCommands(page("```sh\nsystemctl restart x\n```\n")),
    /hosts\/x\.md: a sh block opens with 'systemctl restart x' \(expected '# on the operator's machine, in the checkout' or '# on <host>, as root'\)/,
  );
  assert.throws(
    () => docsCommands(page("```sh\n# on x, as root\nrestore <backup name>\n```\n")),
    /hosts\/x\.md: 'restore <backup name>' needs <backup name> filled in \(declared placeholders: <operator-key>, <snapshot id>\)/,
  );
  assert.throws(
    () => docsCommands(page("```sh\n# on x, as root\nls\n")),
    /hosts\/x\.md line 1: the code block never ends/,
  );
  // Other blocks (the topology drawing, the incident format) hold no commands.
  assert.deepEqual(docsCommands(page("```text\nlyra --> vega\n```\n")), []);
  assert.deepEqual(docsCommands(page("```sh\n# on x, as root\n# a note\n\nls -l  # list\n```\n")), [
    { page: "hosts/x.md", where: { host: "x" }, command: "ls -l  # list", placeholders: [] },
  ]);
});
