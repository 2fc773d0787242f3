/** `npm run render`: the tree a new user reads first. Runs the real CLI as a child process. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { derivedSecretValue, requiredSecretKeys } from "../../src/model/secrets";
import { loadStackFile } from "../../src/model/load";
import { secretEnvName } from "../../src/secrets/source";
import { testSecretValues } from "../support/test-secrets";

const root = join(__dirname, "..", "..");

// Removed when the file is done: a --show-secrets render holds every secret of the stack.
const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

function render(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli/render.ts", ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, PATH: "/usr/bin:/bin", ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.set(relative(dir, p), readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return files;
}

const homeSecrets = () => {
  const fleet = loadStackFile(join(root, "stacks/Pulumi.home.yaml"));
  return testSecretValues(requiredSecretKeys(fleet));
};

test("two renders of the home stack are byte-identical", () => {
  const a = scratch("render-a-");
  const b = scratch("render-b-");
  assert.equal(render(["--stack", "home", "--out", a]).code, 0);
  assert.equal(render(["--stack", "home", "--out", b]).code, 0);
  const ta = readTree(a);
  const tb = readTree(b);
  assert.ok(ta.size > 20, `expected a full tree, got ${ta.size} files`);
  assert.deepEqual([...ta.keys()].sort(), [...tb.keys()].sort());
  for (const [path, content] of ta) assert.equal(tb.get(path), content, path);
});

test("the manifest lists every file with mode, owner, sha256 and the units it restarts", () => {
  const out = scratch("render-m-");
  assert.equal(render(["--stack", "home", "--out", out]).code, 0);
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  const tree = readTree(out);
  tree.delete("manifest.json");
  const listed = manifest.hosts.flatMap((h: any) => h.files.map((f: any) => `${h.host}${f.path}`)).sort();
  assert.deepEqual(listed, [...tree.keys()].sort());
  const health = manifest.hosts
    .find((h: any) => h.host === "vega")
    .files.find((f: any) => f.path === "/etc/lyra/health/mosquitto_pub");
  assert.equal(health.mode, "0600");
  assert.equal(health.secret, true);
  assert.match(health.sha256, /^[0-9a-f]{64}$/);
  const chrony = manifest.hosts
    .find((h: any) => h.host === "vega")
    .files.find((f: any) => f.path === "/etc/chrony/chrony.conf");
  assert.deepEqual(chrony.restarts, ["chrony.service"]);
  // What the host installs besides its files: each release with its digest, sources and units.
  const qdrant = manifest.hosts.find((h: any) => h.host === "lyra").artifacts.find((a: any) => a.key === "qdrant");
  assert.deepEqual(
    [qdrant.version, qdrant.installDir, qdrant.urls.length, qdrant.restarts],
    ["1.12.4", "/opt/lyra/apps/qdrant/1.12.4", 2, ["qdrant.service"]],
  );
});

test("secrets are masked by default and shown only with --show-secrets", () => {
  const secrets = homeSecrets();
  const env = Object.fromEntries(Object.entries(secrets).map(([k, v]) => [secretEnvName(k), v]));
  const masked = scratch("render-s-");
  const run = render(["--stack", "home", "--out", masked], env);
  assert.equal(run.code, 0, run.stderr);
  const maskedTree = [...readTree(masked).values()].join("\n");
  for (const value of Object.values(secrets))
    assert.ok(!maskedTree.includes(value), "a secret leaked into a masked render");
  assert.match(maskedTree, /<secret mqtt-password-vega>/);
  assert.ok(!run.stdout.includes("TEST-SECRET") && !run.stderr.includes("TEST-SECRET"));

  const shown = scratch("render-S-");
  const runShown = render(["--stack", "home", "--out", shown, "--show-secrets"], env);
  assert.equal(runShown.code, 0, runShown.stderr);
  assert.ok(
    !runShown.stdout.includes("TEST-SECRET") && !runShown.stderr.includes("TEST-SECRET"),
    "secrets on the console",
  );
  const pub = readFileSync(join(shown, "vega/etc/lyra/health/mosquitto_pub"), "utf8");
  assert.match(pub, new RegExp(`^-P ${secrets["mqtt-password-vega"]}$`, "m"));
  assert.equal(statSync(join(shown, "vega/etc/lyra/health/mosquitto_pub")).mode & 0o777, 0o600);
});

test("--show-secrets without the secrets names each missing key and how to set it", () => {
  const out = scratch("render-x-");
  const run = render(["--stack", "home", "--out", out, "--show-secrets"]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /missing secrets for stack 'home'/);
  assert.match(
    run.stderr,
    /mqtt-password-monitor: set LYRA_SECRET_MQTT_PASSWORD_MONITOR, or run `pulumi config set --secret --stack home mqtt-password-monitor`/,
  );
  // The hosts' own passwords: one key to derive them from, named once with what it stands for.
  assert.match(
    run.stderr,
    /^ {2}- mqtt-passwords-key: set LYRA_SECRET_MQTT_PASSWORDS_KEY, or run `pulumi config set --secret --stack home mqtt-passwords-key` {3}# 4 secrets \(mqtt-password-lyra, mqtt-password-mirror-1 and 2 more\) derived from it; or set each itself$/m,
  );
  assert.doesNotMatch(run.stderr, /mqtt-password-mirror-1:/);
  assert.equal(readdirSync(out).length, 0, "nothing written");
});

test("--show-secrets derives each host's MQTT password from mqtt-passwords-key, unless the host's own is set", () => {
  const secrets: Record<string, string> = { ...homeSecrets(), "mqtt-passwords-key": "TEST-SECRET-passwords-key-7f3a" };
  delete secrets["mqtt-password-mirror-1"];
  delete secrets["mqtt-password-vega"];
  const env = Object.fromEntries(Object.entries(secrets).map(([k, v]) => [secretEnvName(k), v]));
  const out = scratch("render-d-");
  const run = render(["--stack", "home", "--out", out, "--show-secrets"], env);
  assert.equal(run.code, 0, run.stderr);
  const file = (host: string, path: string) => readFileSync(join(out, host, path), "utf8");
  const derived = (key: string) => derivedSecretValue(secrets["mqtt-passwords-key"], key);
  assert.equal(file("mirror-1", "etc/lyra/lyra-client/mqtt-password"), derived("mqtt-password-mirror-1"));
  assert.match(file("vega", "etc/lyra/health/mosquitto_pub"), new RegExp(`^-P ${derived("mqtt-password-vega")}$`, "m"));
  // mirror-2's own, from the environment, wins.
  assert.equal(file("mirror-2", "etc/lyra/lyra-client/mqtt-password"), secrets["mqtt-password-mirror-2"]);
});

test("--show-secrets with a secret NUT cannot read names it, shows no value and writes nothing", () => {
  const secrets = { ...homeSecrets(), "ups-monitor-password": "TEST-SECRET pass" };
  const env = Object.fromEntries(Object.entries(secrets).map(([k, v]) => [secretEnvName(k), v]));
  const out = scratch("render-v-");
  const run = render(["--stack", "home", "--out", out, "--show-secrets"], env);
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /^render: secrets for stack 'home' that the hosts' programs cannot read:\n {2}- secret 'ups-monitor-password' holds whitespace: NUT's upsmon/,
  );
  assert.ok(!run.stderr.includes("TEST-SECRET"), "no value in the error");
  assert.equal(readdirSync(out).length, 0, "nothing written");
});

test("an invalid stack is reported with file and path, without a stack trace, and writes nothing", () => {
  const dir = scratch("render-bad-");
  mkdirSync(join(dir, "stacks"));
  const home = readFileSync(join(root, "stacks/Pulumi.home.yaml"), "utf8");
  writeFileSync(
    join(root, "stacks/Pulumi.broken-test.yaml"),
    home.replace("address: 192.168.1.22", "address: 300.1.1.1"),
  );
  try {
    const out = join(dir, "out");
    const run = render(["--stack", "broken-test", "--out", out]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^stacks\/Pulumi\.broken-test\.yaml: 1 problem in lyra-fleet:fleet; nothing was changed:\n  - hosts\.mirror-2\.address: expected an IPv4 address/,
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /);
    assert.ok(!statSync(dir).isFile());
    assert.throws(() => statSync(out));
  } finally {
    require("node:fs").rmSync(join(root, "stacks/Pulumi.broken-test.yaml"));
  }
});

test("YAML syntax errors, unknown stacks and bad flags are one clear line each", () => {
  const missing = render(["--stack", "nope", "--out", "/tmp/x-nope"]);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /stacks\/Pulumi\.nope\.yaml: 1 problem .*\n  - \(top level\): cannot read the stack file: no such file/,
  );
  const flag = render(["--stack", "home", "--outdir", "x"]);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /render: unknown option '--outdir'/);
  writeFileSync(join(root, "stacks/Pulumi.yaml-test.yaml"), "config:\n  lyra-fleet:fleet: {\n");
  try {
    const bad = render(["--stack", "yaml-test", "--out", "/tmp/x-yaml"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /stacks\/Pulumi\.yaml-test\.yaml: .*\n  - \(top level\): invalid YAML at line \d+/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  } finally {
    require("node:fs").rmSync(join(root, "stacks/Pulumi.yaml-test.yaml"));
  }
});

test("an --out that cannot be a directory is named, and nothing hangs or is written", () => {
  const dir = scratch("render-out-");
  const file = join(dir, "a-file");
  writeFileSync(file, "kept\n");
  const cases: [string, RegExp][] = [
    [file, /^render: --out: .*a-file is not a directory$/m],
    [join(file, "x"), /^render: --out: cannot create .*a-file\/x \(a part of the path is not a directory\)$/m],
    // procfs answers mkdir with ENOENT under a parent that exists: node's own recursive mkdir
    // retried that for ever (the child's 60 s timeout would end it with no exit code).
    [
      "/proc/lyra-render-test/x",
      /^render: --out: cannot create \/proc\/lyra-render-test \(no directory can be made there\)$/m,
    ],
  ];
  for (const [out, message] of cases) {
    const run = render(["--stack", "home", "--out", out]);
    assert.equal(run.code, 2, `${out}: ${run.stderr}`);
    assert.match(run.stderr, message);
  }
  assert.equal(readFileSync(file, "utf8"), "kept\n");
});
