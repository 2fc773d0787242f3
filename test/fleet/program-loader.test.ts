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

function run(dir: string, cache = `${dir}.cache`, preloads: string[] = []) {
  const requires = [...preloads, loader].flatMap((file) => ["--require", file]);
  const result = spawnSync(process.execPath, [...requires, join(dir, "main.ts")], {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, LYRA_FLEET_BUNDLE_CACHE: cache },
  });
  return { code: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
}

/** The file of cached code a program's last run ran (the cache's one .js file). */
function cachedCode(dir: string): string {
  const code = readdirSync(`${dir}.cache`).filter((name) => name.endsWith(".js"));
  assert.equal(code.length, 1, `one bundle cached: ${code.join(", ")}`);
  return join(`${dir}.cache`, code[0]);
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
  // Proof that the cached bundle is what runs: a marked copy of it runs while the inputs stay.
  const code = cachedCode(dir);
  writeFileSync(code, readFileSync(code, "utf8").replace("return 42", "return 4242"));
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
  const code = cachedCode(dir);
  writeFileSync(code, readFileSync(code, "utf8").replace("from answer.ts", "stale"));
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

// The SDK's runner registers source-map-support before it loads the program: its stack traces
// (and the SDK's source positions) come from that, which reads the running file's map from disk.
const sourceMapSupport = require.resolve("source-map-support/register", {
  paths: [require.resolve("@pulumi/pulumi")],
});

for (const [how, preloads] of [
  ["by node", []],
  ["under the SDK's source-map-support", [sourceMapSupport]],
] as const) {
  test(`a stack trace names the .ts file and line where the error was thrown (${how})`, () => {
    const dir = program("stack", {
      "main.ts": `import { fail } from "./fail";\nfail();\n`,
      "fail.ts": `// one\n// two\nexport function fail(): never {\n  throw new Error("failed here");\n}\n`,
    });
    const result = run(dir, undefined, [...preloads]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Error: failed here\n\s+at fail \(.*[/]fail\.ts:4:9\)/);
    assert.match(result.stderr, /at Object\.<anonymous> \(.*[/]main\.ts:2:1\)/);
  });
}

test("no module of src/ but the entry names __dirname or __filename: in the bundle those are the entry's", () => {
  const src = join(__dirname, "..", "..", "src");
  const users = readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && file !== "index.ts")
    .filter((file) => /\b__(dirname|filename)\b/.test(readFileSync(join(src, file), "utf8")));
  assert.deepEqual(users, []);
});
