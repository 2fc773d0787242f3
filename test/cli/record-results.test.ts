/**
 * `record --results FILE` with a file that is not verify's JSON: the error names the file and what
 * was expected, and never quotes the file, which may be a password file passed by mistake.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { main } from "../../src/cli/record";

const dir = mkdtempSync(join(tmpdir(), "lyra-record-results-"));
after(() => rmSync(dir, { recursive: true, force: true })); // the password-like files below
const password = "hunter2-Sup3r-s3cret";

async function record(results: string): Promise<{ code: number; out: string }> {
  let out = "";
  const sink = { write: (s: string) => (out += s) };
  const code = await main(
    ["--stack-file", "stacks/Pulumi.home.yaml", "--action", "test", "--docs", dir, "--results", results],
    { stdout: sink, stderr: sink, env: {} },
  );
  return { code, out };
}

const cases: [string, string, string][] = [
  ["a password file", `${password}\n`, "is not JSON; expected the output of `npm run verify -- --json`"],
  ["a JSON string holding a password", JSON.stringify(password), "is not the output of `npm run verify -- --json`"],
  ["JSON null", "null", "is not the output of `npm run verify -- --json`"],
  ["a config file", `password = "${password}"\n`, "is not JSON; expected the output of `npm run verify -- --json`"],
];

for (const [name, content, expected] of cases) {
  test(`--results with ${name}: names the file and what was expected, quotes nothing of it`, async () => {
    const file = join(dir, `${name.replace(/\W+/g, "-")}.txt`);
    writeFileSync(file, content);
    const { code, out } = await record(file);
    assert.equal(code, 2);
    assert.ok(out.startsWith(`record: --results: ${file} ${expected}\n`), out);
    assert.ok(!out.includes("hunter2") && !out.includes("s3cret"), out);
  });
}

test("--results with a missing file: names the file and the reason", async () => {
  const file = join(dir, "nope.json");
  const { code, out } = await record(file);
  assert.equal(code, 2);
  assert.ok(
    out.startsWith(
      `record: --results: cannot read ${file} (no such file); expected the output of \`npm run verify -- --json\`\n`,
    ),
    out,
  );
});

test("--hosts with an empty name, or a host the stack lacks, is refused before the results are read", async () => {
  for (const [hosts, expected] of [
    [
      "mirror-1,",
      "record: --hosts: an empty name in 'mirror-1,' (expected names separated by commas, e.g. vega,mirror-1)",
    ],
    ["mirror-9", "record: --hosts: no host named 'mirror-9' in stacks/Pulumi.home.yaml"],
  ]) {
    let out = "";
    const sink = { write: (s: string) => (out += s) };
    // The results file does not exist: the hosts are judged first.
    const code = await main(
      [
        "--stack-file",
        "stacks/Pulumi.home.yaml",
        "--action",
        "test",
        "--docs",
        dir,
        "--results",
        join(dir, "none.json"),
        "--hosts",
        hosts,
      ],
      { stdout: sink, stderr: sink, env: {} },
    );
    assert.equal(code, 2, out);
    assert.ok(out.startsWith(`${expected}\n`), out);
  }
});
