/**
 * Issue 13 end to end, by the real CLI on the lab: what the household put into the fleet through
 * the apps' own APIs is backed up to the lab's NAS; three wiped hosts come back with one `pulumi up`,
 * their apps installed from the NAS's artifact share at the pinned versions and their data restored
 * before each service first started; verify is green. Then: a version bump upgrades one app and
 * restarts only its unit (and back); with the internet cut, a wiped mirror comes back from the NAS
 * alone (packages from its cache, apps from its share); a backup that fails shows in verify; a no-op
 * writes nothing.
 *
 * The tests run in order on the lab stack, each starting from where the previous one left the lab.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadStackFile } from "../../src/model/load";
import { planFleet } from "../../src/render";
import { backupNow } from "../host/support/lab-backup";
import { ensureLab, goOffline, goOnline, plugBackIn, waitForAptCacheMode, wipeHost, type Lab } from "../lab/lab";
import { labSecrets, labStack, labStackSpec } from "../lab/pulumi-lab";
import { pulumiStack } from "../lab/pulumi-stack";
import { stackFleet } from "../support/stack-fleet";
import { countsLine, display, pulumiOk, qdrant, root, sh, subscribe, total, verify } from "./support";

const STACK = ["--stack", "lab"];
const proof = `rebuild-${randomBytes(6).toString("hex")}`;
const work = mkdtempSync(join(tmpdir(), "lyra-rebuild-"));
const plans = () => planFleet(loadStackFile(join(root, "stacks", "Pulumi.lab.yaml")));
let lab: Lab;

before(async () => {
  lab = await ensureLab();
});

after(async () => {
  rmSync(work, { recursive: true, force: true });
  await plugBackIn();
});

/** Every backed-up data set of the lab stack, by host: its id and its path. */
function dataSets(): { host: string; id: string; path: string }[] {
  return plans().flatMap((plan) =>
    plan.dataSets.flatMap((d) => (d.backup ? [{ host: plan.host, id: d.backup.id, path: d.path }] : [])),
  );
}

/** Bytes of every backed-up data set, as `du` counts them on its host (the directory's content). */
async function dataBytes(): Promise<number> {
  let bytes = 0;
  for (const { host, path } of dataSets()) bytes += Number((await sh(lab, host, `du -sb ${path}/ | cut -f1`)) || 0);
  return bytes;
}

/** The Node-RED admin API on lyra, logged in as the stack's admin. */
async function nodered(method: string, path: string, body?: unknown): Promise<any> {
  const base = "http://127.0.0.11:1880";
  const login = await fetch(`${base}/auth/token`, {
    method: "POST",
    body: new URLSearchParams({
      client_id: "node-red-admin",
      grant_type: "password",
      scope: "*",
      username: "admin",
      password: labSecrets().noderedAdminPassword,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(login.status, 200, "the stack's admin logs in to Node-RED");
  const { access_token } = (await login.json()) as { access_token: string };
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${access_token}`,
      "content-type": "application/json",
      "Node-RED-Deployment-Type": "full",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  assert.ok(response.ok, `Node-RED ${method} ${path}: ${response.status} ${text}`);
  return text === "" ? undefined : JSON.parse(text);
}

const retainedTopic = `lyra/status/${proof}`;

/** The retained message on the proof's topic, as the monitor user reads it from vega's broker. */
async function retained(): Promise<string> {
  const [line] = await subscribe(retainedTopic, 1, 10);
  return line?.slice(retainedTopic.length + 1) ?? "";
}

test("the lab stack converges and verify is green", { timeout: 20 * 60_000 }, async () => {
  const stack = await labStack();
  await pulumiOk(stack, ["up", ...STACK, "--yes"]);
  const green = await verify(lab, ["--watch", "--deadline", "300"]);
  assert.equal(green.code, 0, `verify did not turn green:\n${green.stdout}\n${green.stderr}`);
});

test(
  "what the household puts in (a qdrant point, a Node-RED flow, a retained message, an incident entry) is backed up to the NAS",
  { timeout: 10 * 60_000 },
  async () => {
    await qdrant("PUT", `/collections/${proof}`, { vectors: { size: 4, distance: "Dot" } });
    await qdrant("PUT", `/collections/${proof}/points`, {
      points: [{ id: 1, vector: [0.1, 0.2, 0.3, 0.4], payload: { proof } }],
    });

    await nodered("POST", "/flow", {
      label: proof,
      nodes: [
        {
          id: `${proof}-inject`,
          type: "inject",
          name: proof,
          props: [{ p: "payload" }],
          payload: proof,
          payloadType: "str",
          repeat: "",
          once: false,
          x: 150,
          y: 60,
          wires: [],
        },
      ],
    });

    const retain = spawnSync(
      "mosquitto_pub",
      [
        ...["-h", "127.0.0.12", "-p", "1883", "-u", "nodered", "-P", labSecrets()["mqtt-password-nodered"]],
        ...["-q", "1", "-r", "-t", retainedTopic, "-m", proof],
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    assert.equal(retain.status, 0, retain.stderr);
    assert.equal(await retained(), proof, "the broker holds the retained message");

    // The runbook's record, from a saved verify run (the fleet is green).
    const results = await verify(lab, ["--json"]);
    assert.doesNotThrow(() => JSON.parse(results.stdout), `verify --json:\n${results.stderr}`);
    const resultsFile = join(work, "verify.json");
    writeFileSync(resultsFile, results.stdout);
    const record = spawnSync(
      "npm",
      [
        ...["run", "-s", "record", "--", "--stack", "lab", "--identity", lab.clientKeyPath],
        ...["--action", `rebuild proof ${proof}`, "--results", resultsFile],
      ],
      { cwd: root, encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(record.status, 0, `npm run record:\n${record.stdout}\n${record.stderr}`);
    assert.match(await sh(lab, "lyra", `grep -l '${proof}' /opt/lyra/docs/docs/entries/*.md`), /entries\/.+\.md/);

    // Let the backups run now rather than at 03:00: every data set's own backup unit.
    for (const { host, id } of dataSets()) {
      const ran = await backupNow(lab, host, id, 300_000);
      assert.equal(ran.code, 0, `${host}: lyra-backup-${id} failed:\n${ran.stderr}`);
    }
    const backedUp = await dataBytes();
    console.log(`# rebuild: ${dataSets().length} data sets backed up, ${backedUp} bytes on disk`);
    const green = await verify(lab, ["--only", "command"]);
    assert.equal(green.code, 0, `verify's backup checks after the backups:\n${green.stdout}\n${green.stderr}`);
  },
);

test(
  "three wiped hosts come back whole with one `pulumi up`: every service healthy, every piece of data back, verify green",
  { timeout: 30 * 60_000 },
  async () => {
    await wipeHost("lyra", "vega", "mirror-1");
    const stack = await labStack();
    stack.resetCounters();
    const started = Date.now();
    const up = await pulumiOk(stack, ["up", ...STACK, "--yes"]);
    const upSeconds = (Date.now() - started) / 1000;
    const green = await verify(lab, ["--watch", "--deadline", "300"]);
    const greenSeconds = (Date.now() - started) / 1000;
    assert.equal(green.code, 0, `verify did not turn green:\n${green.stdout}\n${green.stderr}`);
    console.log(
      `# rebuild: three wiped hosts to green verify in ${greenSeconds.toFixed(1)} s (pulumi up ${upSeconds.toFixed(1)} s, ${(up.ms / 1000).toFixed(1)} s by the CLI); ${countsLine(stack.counters())}`,
    );

    const point = await qdrant("GET", `/collections/${proof}/points/1`);
    assert.equal(point.result.payload.proof, proof, "the qdrant point is back");
    const flows = (await nodered("GET", "/flows")) as { type: string; label?: string; name?: string }[];
    assert.ok(
      flows.some((n) => n.type === "tab" && n.label === proof),
      "the flow deployed from the editor is back",
    );
    assert.ok(flows.some((n) => n.type === "inject" && n.name === proof));
    assert.equal(await retained(), proof, "the retained message is back");
    assert.match(await sh(lab, "lyra", `grep -l '${proof}' /opt/lyra/docs/docs/entries/*.md`), /entries\/.+\.md/);
    console.log(`# rebuild: ${await dataBytes()} bytes of data on disk after the restore`);
  },
);

test(
  "a version bump upgrades one app and restarts only its unit; pinning it back rolls it back",
  { timeout: 20 * 60_000 },
  async () => {
    const key = "stt-service";
    const host = "mirror-1";
    const unit = "stt-service.service";
    const original = stackFleet("lab");
    const from = original.versions[key] as string;
    const to = `${from}-lab.1`;
    // The same stand-in bytes under the next version: a release the NAS's share holds.
    await sh(
      lab,
      "nas",
      `cp -a /srv/lyra-artifacts/${key}/${from} /srv/lyra-artifacts/${key}/${to} && chown -R lyra: /srv/lyra-artifacts/${key}/${to}`,
    );
    const bumped = structuredClone(original);
    bumped.versions[key] = to;

    // No other unit restarts: on the mirror the converge restarts exactly one unit (its counter), and
    // that is the bumped one (its start time moves); lyra rewrites the docs pages that name the
    // version (mkdocs serves them without a restart) and vega is left alone: neither restarts a
    // unit (their counters), and their apps' start times stay put.
    const untouched: Record<string, string[]> = {
      lyra: ["qdrant.service", "nodered.service", "lyra-orchestrator.service", "mkdocs.service"],
      vega: ["mqtt-broker.service"],
    };
    const startedAt = async (h: string, units: string[]) =>
      sh(lab, h, `systemctl show -p ActiveEnterTimestampMonotonic --value ${units.join(" ")}`);
    const before: Record<string, string> = {};
    for (const [h, units] of Object.entries(untouched)) before[h] = await startedAt(h, units);
    const unitBefore = await startedAt(host, [unit]);

    for (const [fleet, version] of [
      [bumped, to],
      [original, from],
    ] as const) {
      const stack = await pulumiStack({ ...labStackSpec(), fleet: () => fleet });
      // The preview shows the pin change as an update of the mirror's items (and of the docs pages
      // on lyra), never of vega's; the diff names the version.
      const preview = display(await pulumiOk(stack, ["preview", ...STACK]));
      assert.match(preview, /~ +pulumi-nodejs:dynamic\/lyra-host:HostState mirror-1:state update/, preview);
      assert.doesNotMatch(preview, /HostState vega:state update/, "vega is left alone");
      const diff = display(await pulumiOk(stack, ["preview", ...STACK, "--diff"]));
      assert.ok(diff.includes(`/opt/lyra/apps/${key}/${version}`), `the diff names ${key} ${version}`);

      stack.resetCounters();
      const up = await pulumiOk(stack, ["up", ...STACK, "--yes"]);
      const counts = stack.counters();
      console.log(`# rebuild: ${key} -> ${version} in ${(up.ms / 1000).toFixed(1)} s; ${countsLine(counts)}`);
      assert.equal(counts[host]?.unitRestarts, 1, `only ${unit} restarts on ${host}`);
      for (const other of Object.keys(untouched))
        assert.equal(counts[other]?.unitRestarts ?? 0, 0, `nothing restarts on ${other}: ${countsLine(counts)}`);
      assert.equal(await sh(lab, host, `readlink /opt/lyra/apps/${key}/current`), `/opt/lyra/apps/${key}/${version}`);
      assert.match(await sh(lab, host, `systemctl show -p ExecStart --value ${unit}`), new RegExp(`/${version}/`));
      assert.equal(await sh(lab, host, `systemctl is-active ${unit}`), "active");
    }
    assert.notEqual(await startedAt(host, [unit]), unitBefore, `${unit} restarted`);
    for (const [h, units] of Object.entries(untouched))
      assert.equal(await startedAt(h, units), before[h], `${h}: ${units.join(", ")} never restarted`);
    await sh(lab, "nas", `rm -rf /srv/lyra-artifacts/${key}/${to}`);
  },
);

test(
  "with the lab's package forward cut (the internet down, the LAN up), a wiped mirror comes back from the NAS alone",
  { timeout: 20 * 60_000 },
  async () => {
    await goOffline();
    try {
      await waitForAptCacheMode(lab, "offline");
      // Nothing upstream answers now: Debian's mirror is cut for every lab host, nas included.
      const upstream = await lab.sshExec("mirror-1", "curl -s -o /dev/null --max-time 5 http://deb.debian.org/debian/");
      assert.notEqual(upstream.code, 0, "Debian's mirror is out of reach");
      await wipeHost("mirror-1");
      const stack = await labStack();
      stack.resetCounters();
      const up = await pulumiOk(stack, ["up", ...STACK, "--yes"]);
      console.log(
        `# rebuild offline: wiped mirror-1 back in ${(up.ms / 1000).toFixed(1)} s; ${countsLine(stack.counters())}`,
      );
      const green = await verify(lab, ["--watch", "--deadline", "300", "--host", "mirror-1"]);
      assert.equal(green.code, 0, `verify of mirror-1 did not turn green:\n${green.stdout}\n${green.stderr}`);
    } finally {
      await goOnline();
    }
    await waitForAptCacheMode(lab, "online");
  },
);

test("a backup that fails shows in verify, and the next good one clears it", { timeout: 10 * 60_000 }, async () => {
  const { host, id } = dataSets().find((d) => d.host === "vega")!;
  // The NAS's name leads somewhere else: its pinned host key does not match, so the backup fails.
  // The first line naming it wins: the host's own sshd answers, with a key that is not the NAS's.
  await sh(
    lab,
    host,
    "cp /etc/hosts /etc/hosts.rebuild-test && sed -i '1i 127.0.0.1 nas.lab.home.arpa nas' /etc/hosts",
  );
  try {
    const failed = await backupNow(lab, host, id, 120_000);
    assert.notEqual(failed.code, 0, "the backup fails while the NAS cannot be reached");
  } finally {
    await sh(lab, host, "mv /etc/hosts.rebuild-test /etc/hosts");
  }
  const red = await verify(lab, ["--only", "command", "--host", host]);
  assert.notEqual(red.code, 0, `verify shows the failed backup:\n${red.stdout}`);
  assert.match(red.stdout, new RegExp(`backup of ${id}`));

  const good = await backupNow(lab, host, id, 120_000);
  assert.equal(good.code, 0, `${host}: lyra-backup-${id} failed:\n${good.stderr}`);
  const green = await verify(lab, ["--only", "command", "--host", host]);
  assert.equal(green.code, 0, `the next good backup clears it:\n${green.stdout}\n${green.stderr}`);
});

test("a no-op `pulumi up` after all that writes nothing on any host", { timeout: 10 * 60_000 }, async () => {
  const stack = await labStack();
  stack.resetCounters();
  await pulumiOk(stack, ["up", ...STACK, "--yes"]);
  assert.equal(total(stack.counters(), "remoteWrites"), 0, countsLine(stack.counters()));
  assert.equal(total(stack.counters(), "unitRestarts"), 0, countsLine(stack.counters()));
});
