/**
 * Every unit lyra-fleet renders, checked by systemd itself: `systemd-analyze verify` (syntax,
 * directives, executables) and `systemd-analyze security --offline=yes` (exposure), printed as a
 * table. Every service that runs scores at most 2.0: our own units, Debian's units with our
 * drop-ins (scored as a host loads them, the package's file plus the drop-in), and the services
 * timers start. The accounts oneshot keeps what systemd-sysusers needs; its score is printed.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadStackFile } from "../../src/model/load";
import { planFleet } from "../../src/render";
import type { PlannedUnit } from "../../src/render/plan";
import { accountsService } from "../../src/services/config-source/render";
import { verifyHostUnits } from "../support/systemd-verify";

const stacks = ["home", "lab"];

const plans = stacks.map((stack) => ({ stack, plans: planFleet(loadStackFile(`stacks/Pulumi.${stack}.yaml`)) }));
test("systemd-analyze verify passes on every rendered unit (home and lab stacks)", () => {
  const failures: string[] = [];
  for (const { stack, plans: stackPlans } of plans) {
    for (const plan of stackPlans) {
      const said = verifyHostUnits(plan);
      if (said) failures.push(`${stack}/${plan.host} ${said}`);
    }
  }
  assert.deepEqual(failures, []);
});

/** Where Debian installs a packaged unit; an instance (nut-driver@lyra-ups.service) uses its template. */
const packagedPath = (name: string) => `/lib/systemd/system/${name.replace(/@[^.]*\./, "@.")}`;

/**
 * Lays out one unit as a host has it under a scratch root: our unit file, or Debian's file with our
 * drop-in beside it, so `--root` scores exactly what systemd would load.
 */
function unitRoot(unit: PlannedUnit): string {
  const root = mkdtempSync(join(tmpdir(), "security-"));
  after(() => rmSync(root, { recursive: true, force: true })); // one per scored unit, every run
  const etc = join(root, "etc/systemd/system");
  mkdirSync(etc, { recursive: true });
  if (unit.content !== null) {
    writeFileSync(join(etc, unit.name), unit.content);
  } else {
    // The Debian package must be installed here (.ci/run): scoring without its unit would score nothing.
    assert.ok(
      existsSync(packagedPath(unit.name)),
      `${packagedPath(unit.name)} (Debian's unit for ${unit.name}) is not installed`,
    );
    mkdirSync(join(root, "lib/systemd/system"), { recursive: true });
    copyFileSync(packagedPath(unit.name), join(root, packagedPath(unit.name)));
    if (unit.dropIn) {
      mkdirSync(join(etc, `${unit.name}.d`));
      writeFileSync(join(etc, `${unit.name}.d`, "lyra-fleet.conf"), unit.dropIn);
    }
  }
  return root;
}

function exposure(unit: PlannedUnit): { score: number; output: string } {
  const out = spawnSync(
    "systemd-analyze",
    ["security", "--offline=yes", `--root=${unitRoot(unit)}`, "--no-pager", unit.name],
    { encoding: "utf8", timeout: 30_000 },
  );
  const output = `${out.stdout}${out.stderr}`;
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(output);
  assert.ok(m, `no exposure level for ${unit.name}:\n${output}`);
  return { score: Number(m[1]), output };
}

/** Services a timer of the same name starts (lyra-health.timer starts lyra-health.service). */
const timerServices = new Set(
  plans.flatMap(({ plans }) =>
    plans.flatMap((p) =>
      p.units.filter((u) => u.name.endsWith(".timer")).map((u) => u.name.replace(/\.timer$/, ".service")),
    ),
  ),
);

/** Every planned service unit of both stacks, packaged ones included, once per distinct content. */
const services = plans.flatMap(({ stack, plans }) =>
  plans.flatMap((plan) =>
    plan.units.filter((u) => u.name.endsWith(".service")).map((unit) => ({ stack, host: plan.host, unit })),
  ),
);

/**
 * Not scored: Debian's docker.service is the container engine, which needs root and every
 * capability to run containers at all (their isolation is the engine's, not systemd's), and
 * lyra-fleet adds no drop-in to it.
 */
const engines = new Set(["docker.service"]);

test("systemd-analyze security: every unit that runs, packaged ones with their drop-ins, at most 2.0", () => {
  const rows: string[] = [];
  const problems: string[] = [];
  const scored = new Map<string, ReturnType<typeof exposure>>();
  for (const { stack, host, unit } of services) {
    // Long-running, run by a timer, or run once and kept active (the accounts oneshot); a unit the
    // host keeps stopped (Debian's mosquitto.service beside the native broker) never runs.
    if (!(unit.longRunning || unit.active || timerServices.has(unit.name))) continue;
    if (engines.has(unit.name)) {
      assert.deepEqual([unit.content, unit.dropIn], [null, undefined], `${unit.name}: Debian's, unchanged`);
      rows.push(`${`${stack}/${host}`.padEnd(16)} ${unit.name.padEnd(34)}  n/a   Debian's (container engine)`);
      continue;
    }
    const key = `${unit.name}\n${unit.content}\n${unit.dropIn}`;
    if (!scored.has(key)) scored.set(key, exposure(unit));
    const { score, output } = scored.get(key)!;
    rows.push(
      `${`${stack}/${host}`.padEnd(16)} ${unit.name.padEnd(34)} ${score.toFixed(1).padStart(4)}   ${unit.content === null ? "Debian's + drop-in" : "ours"}`,
    );
    if (score > 2.0)
      problems.push(
        `${stack}/${host} ${unit.name}: ${score} > 2.0\n${output
          .split("\n")
          .filter((l) => l.startsWith("✗"))
          .join("\n")}`,
      );
  }
  console.log(["", "stack/host       unit                               exposure  file", ...rows].join("\n"));
  const names = [
    "prometheus-node-exporter.service",
    "chrony.service",
    "prometheus.service",
    "nut-server.service",
    "nut-monitor.service",
    "nut-driver@lyra-ups.service",
    "mqtt-broker.service",
    "lyra-config-sync.service",
    "lyra-health.service",
    accountsService,
  ];
  for (const name of names)
    assert.ok(
      rows.some((r) => r.includes(` ${name} `)),
      `${name} is scored`,
    );
  assert.deepEqual(problems, []);
});

/** The capabilities a unit file's CapabilityBoundingSet= lines leave (the last line wins; ours has one). */
const boundingSet = (content: string) =>
  /^CapabilityBoundingSet=(.*)$/m.exec(content)?.[1].split(/\s+/).filter(Boolean) ?? null;

test("the accounts oneshot creates the sync account with exactly the capabilities its unit keeps, and not with fewer", () => {
  const accounts = services.find((s) => s.unit.name === accountsService)?.unit;
  assert.ok(accounts?.content, `${accountsService} is planned on some host`);
  const caps = boundingSet(accounts.content);
  assert.deepEqual(caps, ["CAP_CHOWN"]);
  const execStart = /^ExecStart=(\S+) (\S+)$/m.exec(accounts.content)!;
  const sysusersFile = plans
    .flatMap((p) => p.plans)
    .flatMap((p) => p.files)
    .find((f) => f.path === execStart[2]);
  assert.ok(sysusersFile, `${execStart[2]} is planned`);
  // sysusers against a scratch copy of this machine's account files (--root), under setpriv with
  // the unit's bounding set: the shadow files must come back root:shadow, which takes CAP_CHOWN.
  const attempt = (bounding: string[]) => {
    const root = mkdtempSync(join(tmpdir(), "sysusers-"));
    after(() => rmSync(root, { recursive: true, force: true })); // holds a copy of /etc/shadow
    mkdirSync(join(root, "etc"));
    for (const f of ["passwd", "group", "shadow", "gshadow"])
      execFileSync("cp", ["-p", `/etc/${f}`, join(root, "etc", f)]);
    const conf = join(root, "lyra-sync.conf");
    writeFileSync(conf, sysusersFile.content);
    const setpriv = [
      "--bounding-set",
      ["-all", ...bounding.map((c) => `+${c.replace(/^CAP_/, "").toLowerCase()}`)].join(","),
      "--inh-caps=-all",
      "--no-new-privs",
    ];
    const r = spawnSync("setpriv", [...setpriv, execStart[1], `--root=${root}`, conf], {
      encoding: "utf8",
      timeout: 30_000,
    });
    return { root, status: r.status, output: `${r.stdout}${r.stderr}` };
  };
  const kept = attempt(caps);
  assert.equal(kept.status, 0, kept.output);
  assert.match(
    readFileSync(join(kept.root, "etc/passwd"), "utf8"),
    /^lyra-sync:x:\d+:\d+:lyra-fleet config sync:\/var\/lib\/lyra-sync:\/bin\/sh$/m,
  );
  assert.equal(
    execFileSync("stat", ["-c", "%U:%G", join(kept.root, "etc/shadow")], { encoding: "utf8" }).trim(),
    "root:shadow",
  );
  const without = attempt([]);
  assert.notEqual(without.status, 0, "without CAP_CHOWN sysusers must fail, else the bounding set could be empty");
  assert.match(without.output, /Operation not permitted/);
});

test("packaged units with their drop-ins pass systemd-analyze verify", () => {
  const failures: string[] = [];
  for (const { stack, host, unit } of services.filter((s) => s.unit.content === null && s.unit.dropIn)) {
    // One file, the drop-in's sections after the unit's own: what systemd reads for the unit.
    const dir = mkdtempSync(join(tmpdir(), "dropin-verify-"));
    after(() => rmSync(dir, { recursive: true, force: true })); // one per packaged unit, every run
    const path = join(dir, unit.name.includes("@") ? unit.name.replace(/@[^.]*\./, "@x.") : unit.name);
    writeFileSync(path, `${readFileSync(packagedPath(unit.name), "utf8")}\n${unit.dropIn}`);
    const r = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8", timeout: 30_000 });
    const output = `${r.stdout}${r.stderr}`
      .split("\n")
      // Units they order against (nut-driver.target's peers, time-sync.target's) are not installed here.
      .filter((l) => l.trim() && !/Unit \S+ not found/.test(l))
      .join("\n");
    if (r.status !== 0 || output) failures.push(`${stack}/${host} ${unit.name} (exit ${r.status}):\n${output}`);
  }
  assert.deepEqual(failures, []);
});

test("systemd-analyze is the real one", () => {
  assert.match(execFileSync("systemd-analyze", ["--version"], { encoding: "utf8" }), /^systemd \d+/);
});
