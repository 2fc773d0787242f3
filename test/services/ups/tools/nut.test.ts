/**
 * The rendered UPS files in Debian's Network UPS Tools: the dummy-ups driver stands in for the USB
 * UPS, upsd serves it with the rendered upsd.users, and upsmon logs in with the rendered MONITOR
 * line. Only what ties the files to real hardware and ports is rewritten: the driver and its port,
 * upsd's port, and upsmon's shutdown command and flag file. The password lines stay as rendered.
 * A password the stack accepts logs in; each character that secret-values.ts refuses fails in NUT.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";

import { secretValueProblems } from "../../../../src/model/secrets";
import { resolveSecrets } from "../../../../src/render/secrets";
import { render } from "../../../../src/services/ups/render";
import { fileAt, fragmentOf, homeFleet } from "../../../render/fixtures";
import { freePort } from "../../../support/free-port";
import { upsMonitorPasswordKey } from "../../../../src/services/ups/secrets";

const NUT = "/lib/nut"; // Debian's binaries; /usr/sbin/upsd and upsmon are wrappers that read /etc/nut/nut.conf
const fragment = fragmentOf(render, "ups", homeFleet(), "lyra");
const ups = "lyra-ups";
const dir = mkdtempSync(join(tmpdir(), "lyra-nut-"));
const state = join(dir, "state");
const env = { ...process.env, NUT_CONFPATH: dir, NUT_STATEPATH: state, NUT_ALTPIDPATH: state };
let port = 0;
let driver: Daemon | undefined;

const rendered = (name: string) => fileAt(fragment, `/etc/nut/${name}`).content;

/** Replaces one line of a rendered file; the line must be there exactly once. */
function rewrite(content: string, line: RegExp, replacement: string): string {
  assert.equal(content.match(new RegExp(line.source, "gm"))?.length, 1, `${line} in the rendered file`);
  return content.replace(new RegExp(line.source, "m"), replacement);
}

interface Daemon {
  child: ChildProcess;
  output(): string;
  /** Settles once the process has exited and its pipes are closed. */
  closed: Promise<unknown>;
}

/**
 * upsmon keeps its pid file in /run/nut whatever the environment says (the path is compiled in),
 * checks it at start, and leaves it behind when stopped. A stale file naming a pid the machine has
 * since reused made it refuse to start ("A previous upsmon instance is already running!"), seen in
 * CI. So upsmon runs in a mount namespace of its own, with an empty /run: the machine's /run/nut is
 * neither read nor written, and every start begins without a pid file.
 */
const privateRun = [
  "--mount",
  "--propagation",
  "private",
  "sh",
  "-c",
  'mount -t tmpfs lyra-nut-test /run && mkdir /run/nut && exec "$0" "$@"',
];

/** Starts a NUT daemon in the foreground; its output is collected for the assertions. */
function daemon(program: string, args: string[], options: { privateRun?: boolean } = {}): Daemon {
  let output = "";
  const [file, argv] = options.privateRun
    ? ["unshare", [...privateRun, join(NUT, program), ...args]]
    : [join(NUT, program), args];
  // Its own process group: upsmon forks, and the fork holds the pipes until the group is gone.
  const child = spawn(file, argv, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const closed = new Promise((resolve) => child.once("close", resolve));
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  return { child, output: () => output, closed };
}

async function until(deadlineMs: number, done: () => boolean): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (done()) return true;
    await sleep(50);
  }
  return done();
}

/** Stops a daemon's whole process group and waits until its pipes are closed. */
async function stop(daemon: Daemon | undefined): Promise<void> {
  if (!daemon?.child.pid) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-daemon.child.pid!, name);
    } catch {
      // the group is already gone
    }
  };
  signal("SIGTERM");
  const stopped = await Promise.race([daemon.closed.then(() => true), sleep(3000).then(() => false)]);
  if (stopped) return;
  signal("SIGKILL");
  assert.ok(
    await Promise.race([daemon.closed.then(() => true), sleep(3000).then(() => false)]),
    `${daemon.child.spawnfile} did not stop`,
  );
}

/**
 * Writes the rendered upsd.users and upsmon.conf for `password`, runs upsd and upsmon, and reports
 * whether upsmon read the MONITOR line as rendered (the primary, which shuts the host down) and logged in.
 */
async function upsmonLogsIn(password: string): Promise<{ loggedIn: boolean; log: string }> {
  const secrets = { [upsMonitorPasswordKey]: password };
  writeFileSync(join(dir, "upsd.users"), resolveSecrets(rendered("upsd.users"), secrets), { mode: 0o600 });
  let upsmon = resolveSecrets(rendered("upsmon.conf"), secrets);
  upsmon = rewrite(upsmon, /^MONITOR (\S+)@localhost /, `MONITOR $1@127.0.0.1:${port} `);
  upsmon = rewrite(upsmon, /^SHUTDOWNCMD .*$/, 'SHUTDOWNCMD "/bin/true"');
  upsmon = rewrite(upsmon, /^POWERDOWNFLAG .*$/, `POWERDOWNFLAG ${join(dir, "killpower")}`);
  writeFileSync(join(dir, "upsmon.conf"), upsmon, { mode: 0o600 });

  const upsd = daemon("upsd", ["-F", "-u", "root"]);
  let monitor: Daemon | undefined;
  try {
    assert.ok(
      await until(10_000, () => /Connected to UPS \[lyra-ups\]/.test(upsd.output())),
      `upsd did not serve the UPS:\n${upsd.output()}`,
    );
    monitor = daemon("upsmon", ["-F", "-D", "-u", "root"], { privateRun: true });
    const settled = () => /Logged into UPS|failed/.test(monitor!.output());
    await until(4000, settled);
    const log = monitor.output();
    return {
      loggedIn: /UPS: lyra-ups@\S+ \(primary\)/.test(log) && /Logged into UPS lyra-ups@127\.0\.0\.1/.test(log),
      log,
    };
  } finally {
    await stop(monitor);
    await stop(upsd);
  }
}

before(async () => {
  mkdirSync(state, { mode: 0o700 });
  port = await freePort();
  writeFileSync(join(dir, "nut.conf"), rendered("nut.conf"));
  let upsConf = rendered("ups.conf");
  upsConf = rewrite(upsConf, /^ {4}driver = .*$/, "    driver = dummy-ups");
  upsConf = rewrite(upsConf, /^ {4}port = .*$/, `    port = ${join(dir, "ups.dev")}`);
  writeFileSync(join(dir, "ups.conf"), upsConf, { mode: 0o600 });
  writeFileSync(join(dir, "ups.dev"), "ups.status: OL\nbattery.charge: 100\n");
  writeFileSync(
    join(dir, "upsd.conf"),
    rewrite(rendered("upsd.conf"), /^LISTEN 127\.0\.0\.1 \d+$/, `LISTEN 127.0.0.1 ${port}`),
    { mode: 0o600 },
  );
  driver = daemon("dummy-ups", ["-a", ups, "-u", "root", "-D"]);
  assert.ok(
    await until(10_000, () => existsSync(join(state, `dummy-ups-${ups}`))),
    `the driver did not start:\n${driver.output()}`,
  );
});

after(async () => {
  await stop(driver);
  rmSync(dir, { recursive: true, force: true });
});

test("upsmon logs into upsd with the rendered files and a password the stack accepts; upsc sees the UPS on line", async () => {
  const password = "TEST-ab'`@:,[]{}$%&*()+<>/?|~^!;.-_é";
  assert.deepEqual(secretValueProblems({ [upsMonitorPasswordKey]: password }), []);
  const { loggedIn, log } = await upsmonLogsIn(password);
  assert.ok(loggedIn, `upsmon did not log in:\n${log}`);

  const upsd = daemon("upsd", ["-F", "-u", "root"]);
  try {
    assert.ok(await until(10_000, () => /Connected to UPS/.test(upsd.output())), upsd.output());
    // The runbook's check, against this upsd's port (WAIT until upsd has the driver's first data).
    const upsc = () =>
      spawnSync("upsc", [`${ups}@127.0.0.1:${port}`, "ups.status"], { encoding: "utf8", timeout: 10_000 });
    let status = upsc();
    await until(10_000, () => (status = upsc()).stdout.trim() !== "WAIT");
    assert.equal(status.stdout.trim(), "OL", status.stderr);
  } finally {
    await stop(upsd);
  }
});

// A '"' does not even fail the login: upsmon then reads the rendered MONITOR line's role wrongly
// (it logs in as a secondary, seen with NUT 2.8.0), and a secondary never shuts the host down.
// A lone '\' before a plain letter happens to survive (both files unescape it alike), but one
// escaping another does not, so the rule refuses every '\'; the case below is the failing one.
test(
  "each character the stack refuses in the UPS password breaks the primary's login in NUT",
  { timeout: 120_000 },
  async () => {
    // Each with the way NUT fails on it, so that a daemon that did not start for another reason fails the test.
    const cases: [string, RegExp][] = [
      ["TEST pass", /Set password on \[lyra-ups@\S+\] failed - got \[ERR INVALID-ARGUMENT\]/],
      ["TEST=pass", /Set password on \[lyra-ups@\S+\] failed - got \[ERR INVALID-ARGUMENT\]/],
      ["TEST#pass", /Parse error: .*upsmon\.conf:\d+: Unbalanced word due to unescaped #/],
      ['TEST"pass', /UPS: lyra-ups@\S+ \(secondary\)/],
      ["TEST\\\\pass", /Login on UPS \[lyra-ups@\S+\] failed - got \[ERR ACCESS-DENIED\]/],
    ];
    for (const [password, failure] of cases) {
      assert.equal(
        secretValueProblems({ [upsMonitorPasswordKey]: password }).length,
        1,
        `the stack refuses ${JSON.stringify(password)}`,
      );
      const { loggedIn, log } = await upsmonLogsIn(password);
      assert.equal(
        loggedIn,
        false,
        `upsmon logged in as the primary with ${JSON.stringify(password)}, so the rule is stricter than needed:\n${log}`,
      );
      assert.match(log, failure, `upsmon failed on ${JSON.stringify(password)}, but not in the way measured:\n${log}`);
    }
  },
);
