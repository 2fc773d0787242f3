/**
 * src/fleet/program-loader.cjs, as Pulumi.yaml's node arguments use it: a .ts entry runs as one
 * esbuild bundle of it and what it imports, cached while its inputs are unchanged, and what runs is
 * always what the files hold now. Each test runs a small program of its own in a scratch
 * directory, with a scratch cache (LYRA_FLEET_BUNDLE_CACHE).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const loader = join(__dirname, "..", "..", "src", "fleet", "program-loader.cjs");
const scratch = mkdtempSync(join(tmpdir(), "lyra-program-loader-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A program: `files` written into a directory of its own; its entry is main.ts. */
function program(name: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

function run(dir: string, cache = `${dir}.cache`) {
  const result = spawnSync(process.execPath, ["--require", loader, join(dir, "main.ts")], {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, LYRA_FLEET_BUNDLE_CACHE: cache },
  });
  return { code: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
}

const twoModules = {
  "main.ts": `import { answer } from "./answer";\nconst n: number = answer();\nconsole.log(n);\n`,
  "answer.ts": `export function answer(): number {\n  return 42;\n}\n`,
};

test("a .ts entry runs with what it imports, types stripped", () => {
  const dir = program("runs", twoModules);
  assert.deepEqual(run(dir), { code: 0, stdout: "42", stderr: "" });
});

test("an unchanged program runs its cached bundle; a changed import runs as changed", () => {
  const dir = program("cache", twoModules);
  assert.equal(run(dir).stdout, "42");
  const [cacheFile] = readdirSync(`${dir}.cache`);
  const file = join(`${dir}.cache`, cacheFile);
  // Proof that the cached bundle is what runs: a marked copy of it runs while the inputs stay.
  const cached = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(file, JSON.stringify({ ...cached, code: cached.code.replace("return 42", "return 4242") }));
  assert.equal(run(dir).stdout, "4242");
  // An edit to an imported file, though: bundled again, from what the file now holds.
  writeFileSync(join(dir, "answer.ts"), `export const answer = (): number => 7;\n`);
  assert.equal(run(dir).stdout, "7");
});

test("a new file beside an input makes a new bundle (it can change what an import resolves to)", () => {
  const dir = program("new-file", {
    "main.ts": `import { answer } from "./answer";\nconsole.log(answer());\n`,
    "answer.ts": `export const answer = () => "from answer.ts";\n`,
  });
  assert.equal(run(dir).stdout, "from answer.ts");
  const [cacheFile] = readdirSync(`${dir}.cache`);
  const file = join(`${dir}.cache`, cacheFile);
  const cached = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(file, JSON.stringify({ ...cached, code: cached.code.replace("from answer.ts", "stale") }));
  writeFileSync(join(dir, "unrelated.ts"), `export {};\n`);
  assert.equal(run(dir).stdout, "from answer.ts");
});

test("without a writable cache the program still runs", () => {
  const dir = program("no-cache", twoModules);
  assert.deepEqual(run(dir, "/dev/null/cache"), { code: 0, stdout: "42", stderr: "" });
});

test("a syntax error fails the run naming the file, line and column, and nothing of the program runs", () => {
  const dir = program("syntax", {
    "main.ts": `console.log("ran");\nimport { broken } from "./broken";\nbroken();\n`,
    "broken.ts": `export function broken(): void {\n  const x: number = ;\n}\n`,
  });
  const result = run(dir);
  assert.notEqual(result.code, 0);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /the program does not compile \(.*main\.ts\):\n.*broken\.ts:2:21: Unexpected ";"/);
});

test("a stack trace names the .ts file and line where the error was thrown", () => {
  const dir = program("stack", {
    "main.ts": `import { fail } from "./fail";\nfail();\n`,
    "fail.ts": `// one\n// two\nexport function fail(): never {\n  throw new Error("failed here");\n}\n`,
  });
  const result = run(dir);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /Error: failed here\n\s+at fail \(.*[/]fail\.ts:4:9\)/);
  assert.match(result.stderr, /at Object\.<anonymous> \(.*[/]main\.ts:2:1\)/);
});
