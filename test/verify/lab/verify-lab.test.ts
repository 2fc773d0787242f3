/**
 * verify and record on the converged lab, run the way a new user runs them: `npm run lab:up`,
 * `npm run lab:converge`, then `npm run verify -- --stack lab --identity <the lab's key>` with the
 * monitor password from the lab's secrets. Real systemd hosts, real SSH (mirror-1 logs in as a
 * sudo user), the real broker on vega, the real mkdocs serving the docs on lyra.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadStackFile } from "../../../src/model/load";
import { entryFileName } from "../../../src/record/entry";
import { planFleet } from "../../../src/render";
import type { JsonOutput } from "../../../src/verify/format";
import { ensureLab, labDir, type Lab } from "../../lab/lab";
import { root } from "../support/cli";

let lab: Lab;
let env: NodeJS.ProcessEnv;
const fleet = loadStackFile(join(root, "stacks", "Pulumi.lab.yaml"));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `npm run -s <script> -- <args>` from the project root, as in the README; `onStdout` sees its output as it comes. */
function npm(script: string, args: string[], timeoutMs: number, onStdout?: (sofar: string) => void): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "-s", script, ...(args.length ? ["--", ...args] : [])], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
      onStdout?.(stdout);
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(
      () => (
        child.kill("SIGKILL"),
        reject(new Error(`npm run ${script}: still running after ${timeoutMs / 1000} s\n${stdout}${stderr}`))
      ),
      timeoutMs,
    );
    child.once("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr, ms: Date.now() - started })));
  });
}

/**
 * `npm run verify` against the lab. `lab:up` first (idempotent, about a second): it repairs anything
 * of the lab that is missing (a forwarder whose supervisor ended, a stopped host), so a lab fault is
 * not reported as a fleet fault.
 */
async function verify(args: string[] = [], timeoutMs = 5 * 60_000, onStdout?: (sofar: string) => void): Promise<Run> {
  const up = await npm("lab:up", [], 120_000);
  assert.equal(up.code, 0, `npm run lab:up failed:\n${up.stderr}`);
  return npm("verify", ["--stack", "lab", "--identity", lab.clientKeyPath, ...args], timeoutMs, onStdout);
}

function httpGet(address: string, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (s: string) => (body += s));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end();
  });
}

describe("verify on the converged lab", { timeout: 30 * 60_000 }, () => {
  before(async () => {
    lab = await ensureLab();
    env = { ...process.env };
    const converge = await npm("lab:converge", [], 20 * 60_000);
    assert.equal(
      converge.code,
      0,
      `npm run lab:converge failed, so the lab is not converged:\n${converge.stdout.slice(-4000)}\n${converge.stderr.slice(-2000)}`,
    );
    // The lab's secrets, written by lab:converge (random once, then stable).
    const secrets = JSON.parse(readFileSync(join(labDir, "lab-secrets.json"), "utf8")) as Record<string, string>;
    env.LYRA_SECRET_MQTT_PASSWORD_MONITOR = secrets["mqtt-password-monitor"];
  });

  after(async () => {
    // Whatever happened, leave the broker running for the next test file.
    await lab?.sshExec("vega", "systemctl start mqtt-broker.service");
  });

  test("every check of every host passes, from `npm run verify -- --stack lab`", async () => {
    // Right after a converge some things still settle (a clock syncs within chrony's polls): wait
    // for green as an operator would with --watch, then a plain run must pass.
    const settle = await verify(["--watch", "--deadline", "600"], 12 * 60_000);
    assert.equal(settle.code, 0, `the lab did not turn green within 600 s:\n${settle.stdout}\n${settle.stderr}`);
    console.log(
      `# lab after converge: ${settle.stdout.match(/^watch: .*$/m)?.[0]}; first run: ${settle.stdout.match(/^run 1: .*$/m)?.[0] ?? "green"}`,
    );
    const run = await verify();
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(
      run.stdout,
      /^reaching hosts at their stack addresses, not their DNS names: lyra\.lab\.home\.arpa -> 127\.0\.0\.11, /m,
    );
    assert.match(run.stdout, /^verify: \d+ checks, \d+ passed, all passed in /m);
    const json = await verify(["--json"]);
    const out = JSON.parse(json.stdout) as JsonOutput;
    const planned = planFleet(fleet).flatMap((p) => p.checks.map((c) => c.name));
    assert.deepEqual(
      out.results.map((r) => r.name),
      planned,
      "verify ran every check of every plan",
    );
    for (const r of out.results) assert.ok(r.ok, `${r.name}: ${r.detail}`);
    console.log(`# lab verify: ${out.results.length} checks passed in ${run.ms} ms (CLI, tsx start included)`);
  });

  test("record writes today's entry on the docs host over SSH, and the live site lists it", async () => {
    const run = await npm(
      "record",
      ["--stack", "lab", "--identity", lab.clientKeyPath, "--action", "lab: verified the converged fleet"],
      5 * 60_000,
    );
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const day = entryFileName(new Date(), fleet.site.timezone).replace(/\.md$/, "");
    assert.match(
      run.stdout,
      new RegExp(`^record: (wrote|appended a section to) lyra:/opt/lyra/docs/docs/entries/${day}\\.md$`, "m"),
    );
    // mkdocs serve rebuilds when a file appears: the entry and the index listing it go live.
    const lyra = lab.host("lyra");
    const end = Date.now() + 60_000;
    for (;;) {
      const page = await httpGet(lyra.address, 8001, `/entries/${day}/`);
      const index = await httpGet(lyra.address, 8001, "/entries/");
      if (
        page.status === 200 &&
        page.body.includes("lab: verified the converged fleet") &&
        index.body.includes(`href="${day}/"`)
      )
        break;
      assert.ok(Date.now() < end, `the site did not list entries/${day} within 60 s (page ${page.status})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  });

  test("broker stopped on vega: verify fails naming it; started again, --watch turns green with a time to recovery", async () => {
    const stop = await lab.sshExec("vega", "systemctl stop mqtt-broker.service");
    assert.equal(stop.code, 0, stop.stderr);
    const down = await verify();
    assert.equal(down.code, 1);
    assert.match(
      down.stdout,
      /^ {2}broker unreachable: vega:1883 \([^)]+\); \d+ checks depend on it: .*vega: mqtt round trip on lyra\/test/m,
    );

    // The broker starts again only once the watch's first run has seen it down (its "run 1: ...
    // failed" line), and 3 s after that: on a busy machine lab:up and verify's own start can take
    // longer than a fixed wait, and a watch that starts on a green fleet has no time to recovery.
    let firstRunFailed: () => void;
    const sawItDown = new Promise<void>((resolve) => (firstRunFailed = resolve));
    const watching = verify(["--watch", "--deadline", "300"], 10 * 60_000, (sofar) => {
      if (/^run 1: \d+ passed, [1-9]\d* failed/m.test(sofar)) firstRunFailed();
    });
    await Promise.race([sawItDown, watching]);
    await new Promise((r) => setTimeout(r, 3000));
    const start = await lab.sshExec("vega", "systemctl start mqtt-broker.service");
    assert.equal(start.code, 0, start.stderr);
    const run = await watching;
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /^run 1: \d+ passed, [1-9]\d* failed \(broker unreachable: vega:1883/m);
    const recovered = /^watch: recovered after .* \(time to recovery (\d+(?:\.\d)?) (s|ms)\)$/m.exec(run.stdout);
    assert.ok(recovered, `no time to recovery:\n${run.stdout}`);
    const ttrMs = Number(recovered[1]) * (recovered[2] === "s" ? 1000 : 1);
    assert.ok(ttrMs >= 3000, `time to recovery ${ttrMs} ms, though the broker was down 3 s after the first run`);
    console.log(`# lab broker restart: time to recovery ${ttrMs} ms (${recovered[0]})`);
  });
});
