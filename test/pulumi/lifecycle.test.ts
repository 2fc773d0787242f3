/**
 * The real Pulumi CLI converges the lab, driven the way the README tells a user: `pulumi login
 * file://…`, `pulumi stack init --secrets-provider passphrase`, `pulumi config set --secret`,
 * `pulumi preview`, `pulumi up`. Three wiped hosts converge; a no-op writes nothing; a stack of
 * the former layout (a component per host) keeps its states and touches no host; drift shows
 * in `pulumi preview --diff` and is repaired; a wiped mirror comes back; an unplugged mirror fails
 * alone and fast; a re-keyed host is refused; nothing secret is stored or printed in plain text; a
 * killed `pulumi up` loses nothing; `pulumi destroy` removes what the stack put on the hosts.
 *
 * The tests run in order on one stack, each starting from where the previous one left the lab.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ensureLab, plugBackIn, unplugHost, wipeHost, type Lab } from "../lab/lab";
import { labStack, type LabStack } from "../lab/pulumi-lab";
import {
  countsLine,
  display,
  printed,
  pulumi,
  pulumiOk,
  root,
  sh,
  stepSeconds,
  subscribe,
  tail,
  total,
  verify,
  whyFailed,
} from "./support";

const STACK = ["--stack", "lab"];
let lab: Lab;
let stack: LabStack;

before(async () => {
  lab = await ensureLab();
});

after(async () => {
  // Whatever failed, leave the lab as the next layer expects it: every host plugged in.
  await plugBackIn();
});

test(
  "three wiped hosts: `pulumi preview` lists what will be created, `pulumi up` converges them, verify is green",
  { timeout: 20 * 60_000 },
  async () => {
    for (const host of ["lyra", "vega", "mirror-1"]) await wipeHost(host);
    stack = await labStack({ fresh: true });

    const preview = await pulumiOk(stack, ["preview", ...STACK]);
    for (const host of ["lyra", "vega", "mirror-1"]) {
      assert.match(
        display(preview),
        new RegExp(`\\+ +pulumi-nodejs:dynamic/lyra-host:HostState ${host}:state create`),
        `${host}'s state to create:\n${tail(preview.output)}`,
      );
    }
    // lyra and mirror-1 run their gates in their states' applies. vega's is a resource of its own,
    // so the hosts waiting for vega (the broker, the config source) do not wait for its gate too.
    assert.match(display(preview), /\+ +pulumi-nodejs:dynamic\/lyra-host:HealthGate vega:health-gate create/);
    assert.match(display(preview), /\+ +pulumi-nodejs:dynamic\/lyra-host:HealthGate vega:mqtt-round-trip create/);
    assert.doesNotMatch(display(preview), /(lyra|mirror-1):health-gate/);
    assert.match(preview.output, /\+ 7 to create/);
    assert.equal(total(stack.counters(), "remoteWrites"), 0, "a preview writes nothing");

    stack.resetCounters();
    const up = await pulumiOk(stack, ["up", ...STACK, "--yes"]);
    assert.match(up.output, /\+ 7 created/);
    console.log(
      `# cli first: preview ${(preview.ms / 1000).toFixed(1)} s, up ${(up.ms / 1000).toFixed(1)} s; ${countsLine(stack.counters())}`,
    );

    const green = await verify(lab, ["--watch", "--deadline", "300"]);
    assert.equal(green.code, 0, `verify did not turn green:\n${green.stdout}\n${green.stderr}`);
  },
);

test(
  "a second `pulumi preview --expect-no-changes` passes and a second `pulumi up` writes nothing on any host",
  { timeout: 10 * 60_000 },
  async () => {
    stack.resetCounters();
    const preview = await pulumiOk(stack, ["preview", ...STACK, "--expect-no-changes"]);
    const previewCounts = stack.counters();
    stack.resetCounters();
    const up = await pulumiOk(stack, ["up", ...STACK, "--yes"]);
    assert.match(up.output, /Resources:\n +7 unchanged/);
    const counts = stack.counters();
    for (const host of ["lyra", "vega", "mirror-1"]) {
      assert.equal(counts[host]?.remoteWrites, 0, `${host}: writes during a no-op up`);
      assert.ok((counts[host]?.remoteCommands ?? 0) > 0, `${host} was read`);
    }
    console.log(
      `# cli no-op: preview ${(preview.ms / 1000).toFixed(1)} s (${countsLine(previewCounts)}); up ${(up.ms / 1000).toFixed(1)} s (${countsLine(counts)})`,
    );
  },
);

/**
 * The deployment as a stack written while each host was a `lyra-fleet:fleet:Host` component held
 * it: every HostState moved under a component of its host's name, by its former URN, and every
 * reference to it (dependencies, a trigger holding its URN) renamed with it.
 */
function toFormerHostLayout(exported: string): string {
  const { resources } = JSON.parse(exported).deployment as { resources: { urn: string; type: string }[] };
  const fleet = resources.find((r) => r.type === "lyra-fleet:fleet:Fleet")!.urn;
  const prefix = fleet.slice(0, fleet.indexOf("::lyra-fleet:fleet:Fleet::"));
  const hostOf = (stateUrn: string) => stateUrn.slice(stateUrn.lastIndexOf("::") + 2).replace(/:state$/, "");
  const componentOf = (host: string) => `${prefix}::lyra-fleet:fleet:Fleet$lyra-fleet:fleet:Host::${host}`;
  let text = exported;
  for (const state of resources.filter((r) => r.type === "pulumi-nodejs:dynamic/lyra-host:HostState")) {
    const former = `${prefix}::lyra-fleet:fleet:Fleet$lyra-fleet:fleet:Host$pulumi-nodejs:dynamic/lyra-host:HostState::${hostOf(state.urn)}:state`;
    text = text.split(JSON.stringify(state.urn)).join(JSON.stringify(former));
  }
  const doc = JSON.parse(text);
  doc.deployment.resources = doc.deployment.resources.flatMap((r: Record<string, any>) => {
    if (r.type !== "pulumi-nodejs:dynamic/lyra-host:HostState") return [r];
    const component = componentOf(hostOf(r.urn));
    return [
      { urn: component, custom: false, type: "lyra-fleet:fleet:Host", parent: fleet },
      { ...r, parent: component },
    ];
  });
  return JSON.stringify(doc);
}

test(
  "a stack written when each host was a `Host` component keeps its states: `pulumi up` only drops the components and writes nothing on any host",
  { timeout: 10 * 60_000 },
  async () => {
    const file = join(stack.project, "former-layout.json");
    await pulumiOk(stack, ["stack", "export", ...STACK, "--file", file]);
    writeFileSync(file, toFormerHostLayout(readFileSync(file, "utf8")));
    await pulumiOk(stack, ["stack", "import", ...STACK, "--file", file]);
    rmSync(file);

    stack.resetCounters();
    const preview = await pulumiOk(stack, ["preview", ...STACK]);
    for (const host of ["lyra", "vega", "mirror-1"])
      assert.match(display(preview), new RegExp(`- +lyra-fleet:fleet:Host +${host} +delete`), tail(preview.output));
    assert.doesNotMatch(display(preview), /HostState .*(create|replace|delete)/, "every state kept, by its alias");
    const up = await pulumiOk(stack, ["up", ...STACK, "--yes"]);
    assert.match(up.output, /- 3 deleted/);
    assert.doesNotMatch(display(up), /HostState .*(created|replaced|deleted)/);
    const counts = stack.counters();
    for (const host of ["lyra", "vega", "mirror-1"])
      assert.equal(counts[host]?.remoteWrites, 0, `${host}: writes while the stack moved to the flat layout`);
    await pulumiOk(stack, ["preview", ...STACK, "--expect-no-changes"]);
  },
);

test(
  "drift (an edited broker config, a stopped unit, a deleted file): `pulumi preview --diff` names each item, `pulumi up` repairs them and restarts the broker once",
  { timeout: 10 * 60_000 },
  async () => {
    const brokerBefore = await sh(lab, "vega", "systemctl show -p InvocationID --value mqtt-broker");
    await sh(lab, "vega", "echo 'allow_anonymous true' >> /etc/mosquitto/lyra/mosquitto.conf");
    await sh(lab, "lyra", "systemctl stop qdrant");
    await sh(lab, "mirror-1", "rm /etc/lyra/mqtt-client/mqtt-client.env");

    stack.resetCounters();
    const preview = await pulumiOk(stack, ["preview", ...STACK, "--diff"]);
    const shown = display(preview);
    // The refresh reads each host: what it found differs from the last apply, item by item.
    assert.match(
      shown,
      /~ \/etc\/mosquitto\/lyra\/mosquitto\.conf +: \{\n(?: +.*\n)*? +~ sha256 +: "[0-9a-f]{64}" => "[0-9a-f]{64}"/,
      tail(shown, 400),
    );
    assert.match(shown, /~ qdrant\.service +: \{\n(?: +.*\n)*? +~ active +: true => false/);
    assert.match(shown, /- \/etc\/lyra\/mqtt-client\/mqtt-client\.env *: \{/);
    // ... and each host with drift is to be updated; nothing else is.
    for (const host of ["vega", "lyra", "mirror-1"])
      assert.match(
        shown,
        new RegExp(`~ pulumi-nodejs:dynamic/lyra-host:HostState: \\(update\\)\\n +\\[id=${host}:state\\]`),
      );
    assert.equal(total(stack.counters(), "remoteWrites"), 0, "a preview writes nothing");

    stack.resetCounters();
    const up = await pulumiOk(stack, ["up", ...STACK, "--yes"]);
    const counts = stack.counters();
    assert.equal(counts.vega?.unitRestarts, 1, "the broker restarted exactly once");
    // The broker's host changed: every host's gate checked its services again (lyra's and
    // mirror-1's in their states' applies), the round trip too.
    for (const gate of ["vega:health-gate", "vega:mqtt-round-trip"])
      assert.match(display(up), new RegExp(`~ +pulumi-nodejs:dynamic/lyra-host:HealthGate ${gate} updated`));
    for (const host of ["lyra", "mirror-1"])
      assert.match(display(up), new RegExp(`~ +pulumi-nodejs:dynamic/lyra-host:HostState ${host}:state updated`));
    assert.doesNotMatch(await sh(lab, "vega", "cat /etc/mosquitto/lyra/mosquitto.conf"), /allow_anonymous true/);
    assert.notEqual(
      await sh(lab, "vega", "systemctl show -p InvocationID --value mqtt-broker"),
      brokerBefore,
      "the broker runs the restored config",
    );
    assert.equal(await sh(lab, "lyra", "systemctl is-active qdrant"), "active");
    assert.equal(await sh(lab, "mirror-1", "test -s /etc/lyra/mqtt-client/mqtt-client.env && echo present"), "present");
    console.log(
      `# cli repair: preview ${(preview.ms / 1000).toFixed(1)} s, up ${(up.ms / 1000).toFixed(1)} s; ${countsLine(counts)}`,
    );

    const again = await pulumiOk(stack, ["preview", ...STACK, "--expect-no-changes"]);
    assert.match(again.output, /7 unchanged/);
  },
);

test("a wiped mirror (re-flashed SD card) converges back and heartbeats again", { timeout: 10 * 60_000 }, async () => {
  await wipeHost("mirror-1");
  assert.notEqual((await lab.sshExec("mirror-1", "test -e /etc/lyra")).code, 0, "the wipe left the mirror empty");
  const up = await pulumiOk(stack, ["up", ...STACK, "--yes"]);
  assert.match(display(up), /~ +pulumi-nodejs:dynamic\/lyra-host:HostState mirror-1:state updated/);
  assert.equal(
    await sh(lab, "mirror-1", "systemctl is-active mqtt-client stt-service lyra-client | sort -u"),
    "active",
  );
  // Its config came with the converge, not a sync interval later: the tree is Vega's already.
  const tree = "cd /opt/lyra/config && find . -type f | sort | xargs -r sha256sum";
  const synced = await sh(lab, "mirror-1", tree);
  assert.ok(synced !== "", "the mirror's config tree is not empty");
  assert.equal(synced, await sh(lab, "vega", tree));
  const presence = await subscribe("lyra/presence/mirror-1", 1, 60);
  assert.match(presence[0] ?? "", /^lyra\/presence\/mirror-1 /, "a heartbeat within 60 s");
  console.log(`# cli wiped mirror: up ${(up.ms / 1000).toFixed(1)} s`);
});

test("a config sync that fails runs again by itself once the source answers", { timeout: 5 * 60_000 }, async () => {
  // The source refuses the mirror's login: the sync fails, as at a boot before the network is up.
  const keys = "/var/lib/lyra-sync/.ssh/authorized_keys";
  await sh(lab, "vega", `mv ${keys} /root/authorized_keys.saved`);
  let failedAt: string;
  try {
    const start = await lab.sshExec("mirror-1", "systemctl start lyra-config-sync", { timeoutMs: 60_000 });
    assert.notEqual(start.code, 0, "the sync failed");
    failedAt = await sh(lab, "mirror-1", "systemctl show -P ExecMainExitTimestampMonotonic lyra-config-sync");
    assert.equal(await sh(lab, "mirror-1", "systemctl show -P Result lyra-config-sync"), "exit-code");
    // systemd holds it for its restart, rather than leaving it failed until the timer's next run.
    assert.equal(await sh(lab, "mirror-1", "systemctl show -P SubState lyra-config-sync"), "auto-restart");
  } finally {
    await sh(lab, "vega", `mv /root/authorized_keys.saved ${keys}`);
  }
  // Nothing starts it again but systemd: within RestartSec (30 s) and one run, it succeeds.
  const started = Date.now();
  const unitState = async () =>
    Object.fromEntries(
      (await sh(lab, "mirror-1", "systemctl show -p Result -p ExecMainExitTimestampMonotonic lyra-config-sync"))
        .split("\n")
        .map((line) => line.split("=", 2)),
    ) as Record<string, string>;
  let state = await unitState();
  while (!(state.Result === "success" && state.ExecMainExitTimestampMonotonic !== failedAt)) {
    if (Date.now() - started > 90_000) break;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    state = await unitState();
  }
  assert.equal(state.Result, "success", `the sync ran again and succeeded: ${JSON.stringify(state)}`);
  console.log(
    `# cli config sync retried: succeeded ${((Date.now() - started) / 1000).toFixed(1)} s after the source answered`,
  );
});

test(
  "a health gate fails `pulumi up` when a service of a changed host does not answer, and passes once it does",
  { timeout: 10 * 60_000 },
  async () => {
    // stt-service's unit stays active, but what it runs no longer answers on its port.
    const app = "/opt/lyra/apps/stt-service/current/bin/stt-service";
    await sh(
      lab,
      "mirror-1",
      `cp ${app} /root/stt-service.saved && printf '#!/bin/sh\\nexec sleep infinity\\n' > ${app} && systemctl restart stt-service`,
    );
    try {
      await sh(lab, "mirror-1", "echo '# edited by hand' >> /etc/lyra/mqtt-client/mqtt-client.env");
      const up = await pulumi(stack, ["up", ...STACK, "--yes"]);
      const shown = display(up);
      assert.notEqual(up.code, 0, "the gate failed the run");
      assert.match(
        shown,
        /mirror-1 \(deploy@127\.0\.0\.13:22\): health gate failed: mirror-1: stt-service health: still failing after 90 s/,
        tail(shown),
      );
    } finally {
      await sh(lab, "mirror-1", `mv /root/stt-service.saved ${app} && systemctl restart stt-service`);
    }
    stack.resetCounters();
    const again = await pulumiOk(stack, ["up", ...STACK, "--yes"]);
    assert.match(
      display(again),
      /~ +pulumi-nodejs:dynamic\/lyra-host:HostState mirror-1:state updated/,
      "the failed gate runs again (in its state's apply), and passes",
    );
    // The failed run repaired the file and restarted its unit, once: this one only checks.
    assert.equal(stack.counters()["mirror-1"]?.remoteWrites ?? 0, 0, "nothing written again");
    assert.equal(stack.counters()["mirror-1"]?.unitRestarts ?? 0, 0, "mqtt-client not restarted again");
    await pulumiOk(stack, ["preview", ...STACK, "--expect-no-changes"]);
  },
);

test(
  "an unplugged mirror: `pulumi up --continue-on-error` converges lyra and vega and fails the mirror on its refused connection, naming host and address",
  { timeout: 10 * 60_000 },
  async () => {
    await sh(lab, "lyra", "systemctl stop qdrant");
    await unplugHost("mirror-1");
    let up;
    try {
      up = await pulumi(stack, ["up", ...STACK, "--yes", "--continue-on-error"]);
    } finally {
      await plugBackIn();
    }
    const shown = display(up);
    assert.notEqual(up.code, 0, "the run reports the mirror's failure");
    assert.match(shown, /mirror-1 \(deploy@127\.0\.0\.13:22\): cannot reach sshd/, tail(shown));
    // Failed on the refusal (the unplugged address refuses connections), not at the connect deadline.
    assert.doesNotMatch(shown, /mirror-1 \(deploy@127\.0\.0\.13:22\): no SSH answer/, tail(shown));
    const failedAfter = stepSeconds(up, "mirror-1:state", /updating/, /updating failed/);
    assert.match(shown, /~ +pulumi-nodejs:dynamic\/lyra-host:HostState lyra:state updated/, "lyra was still repaired");
    assert.equal(await sh(lab, "lyra", "systemctl is-active qdrant"), "active");
    console.log(
      `# cli unplugged mirror: up ${(up.ms / 1000).toFixed(1)} s, mirror failed after ${failedAfter} s; the CLI said: ${/mirror-1 \(deploy@[^\n]*/.exec(shown)?.[0]}`,
    );

    // Plugged back in: the next up converges it (nothing changed on it meanwhile).
    const back = await pulumiOk(stack, ["up", ...STACK, "--yes"]);
    assert.doesNotMatch(display(back), /failed/);
    await pulumiOk(stack, ["preview", ...STACK, "--expect-no-changes"]);
  },
);

test(
  "a changed host key is refused: nothing is written, and the message says how to pin the new key",
  { timeout: 10 * 60_000 },
  async () => {
    // A re-installed host: new host keys, sshd restarted (by a transient unit, outside this session).
    await sh(
      lab,
      "mirror-1",
      "rm -f /etc/ssh/ssh_host_ed25519_key* && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && systemd-run --quiet --on-active=1 systemctl restart ssh",
    );
    await waitForSsh(false);
    try {
      stack.resetCounters();
      const up = await pulumi(stack, ["up", ...STACK, "--yes", "--continue-on-error"]);
      const shown = display(up);
      assert.notEqual(up.code, 0);
      assert.match(
        shown,
        /mirror-1 \(deploy@127\.0\.0\.13:22\): host key mismatch: pinned SHA256:\S+ \(ssh-ed25519\) but the host presented SHA256:\S+\. Refused before running any command; nothing was changed\./,
        tail(shown),
      );
      assert.match(
        shown,
        /pin the new key as hosts\.mirror-1\.ssh\.hostKey in the stack file \(`ssh-keyscan -t ed25519 -p 22 127\.0\.0\.13` prints the line to pin\)/,
      );
      assert.equal(stack.counters()["mirror-1"]?.remoteCommands ?? 0, 0, "no command ran on the re-keyed host");
      // The lab's own tools say so at once too, instead of waiting out their SSH deadline.
      const labUp = spawnSync("bash", [join(root, "test", "lab", "lab.sh"), "up"], {
        encoding: "utf8",
        timeout: 120_000,
      });
      assert.equal(labUp.error, undefined, "lab.sh up finished (the 120 s hang guard did not stop it)");
      assert.notEqual(labUp.status, 0);
      // Refused by the key check, not by waiting out the SSH deadline ("does not accept SSH at ...").
      assert.match(labUp.stderr, /127\.0\.0\.13 presents a host key other than the lab's pinned one/);
      assert.doesNotMatch(labUp.stderr, /mirror-1 does not accept SSH at/);
    } finally {
      await restorePinnedKey();
    }
    await pulumiOk(stack, ["preview", ...STACK, "--expect-no-changes"]);
  },
);

/** Until mirror-1's sshd presents the pinned key (`pinned`) or another one. */
async function waitForSsh(pinned: boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = (await lab.sshExec("mirror-1", "true", { timeoutMs: 10_000 })).code === 0;
    if (ok === pinned) return;
    assert.ok(
      Date.now() < deadline,
      `mirror-1's sshd did not present ${pinned ? "the pinned" : "a new"} key within 30 s`,
    );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The lab's pinned key back on mirror-1, through one login that trusts whatever key it presents. */
async function restorePinnedKey(): Promise<void> {
  const fixture = join(__dirname, "..", "lab", "hostkeys", "mirror-1");
  const script = [
    "install -m 0600 /dev/stdin /etc/ssh/ssh_host_ed25519_key",
    `printf '%s\\n' '${readFileSync(join(fixture, "ssh_host_ed25519_key.pub"), "utf8").trim()}' > /etc/ssh/ssh_host_ed25519_key.pub`,
    "systemd-run --quiet --on-active=1 systemctl restart ssh",
  ].join(" && ");
  const result = await lab.sshExec("mirror-1", script, {
    input: readFileSync(join(fixture, "ssh_host_ed25519_key"), "utf8"),
    timeoutMs: 60_000,
    acceptAnyHostKey: true,
  });
  assert.equal(result.code, 0, `restoring mirror-1's host key: ${result.stderr}`);
  await waitForSsh(true);
}

test(
  "a `pulumi up` killed part way (SIGINT, then SIGKILL): the next run converges and loses nothing",
  { timeout: 15 * 60_000 },
  async () => {
    await wipeHost("mirror-1");
    let interrupted = false;
    const killed = await pulumi(stack, ["up", ...STACK, "--yes"], {
      // Ctrl-C as soon as the wiped mirror's apply starts, and the power goes while the CLI is
      // still cancelling.
      onLine: (text, signalGroup) => {
        if (interrupted || !/mirror-1:state\s+(creating|updating)/.test(text)) return;
        interrupted = true;
        signalGroup("SIGINT");
        setTimeout(() => signalGroup("SIGKILL"), 1000);
      },
    });
    assert.ok(interrupted, `the mirror's apply never started:\n${tail(killed.output)}`);
    assert.notEqual(killed.code, 0, "the run was stopped");
    // The engine gave each plugin its own process group, so the kill did not reach them: they end
    // themselves once their engine is gone (within a second or two).
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(orphanedProviders(), [], "dynamic providers outlived the killed CLI");
    const next = await pulumi(stack, ["up", ...STACK, "--yes"]);
    if (next.code === 0) console.log("# cli after a killed up, the next one needed: nothing");
    const recovered = next.code === 0 ? next : await recoverFromKill(next);
    assert.equal(recovered.code, 0, whyFailed(recovered.output));
    assert.equal(
      await sh(lab, "mirror-1", "systemctl is-active mqtt-client stt-service lyra-client | sort -u"),
      "active",
    );
    await pulumiOk(stack, ["preview", ...STACK, "--expect-no-changes"]);
  },
);

/** This checkout's dynamic-provider processes whose parent is no longer a `pulumi` process. */
function orphanedProviders(): string[] {
  const table = spawnSync("ps", ["-eo", "pid=,ppid=,comm=,args="], { encoding: "utf8" }).stdout.split("\n");
  const rows = table.map((line) => line.trim().split(/\s+/)).filter((f) => f.length >= 4);
  const comm = new Map(rows.map(([pid, , name]) => [pid, name]));
  const provider = `${root}/node_modules/@pulumi/pulumi/cmd/dynamic-provider`;
  return rows
    .filter(([, ppid, , ...args]) => args.join(" ").includes(provider) && comm.get(ppid) !== "pulumi")
    .map((f) => f.join(" "));
}

/**
 * What the README tells a user to do when `pulumi up` refuses to run after a killed one: a file
 * backend keeps the killed run's lock, and its interrupted operations as pending.
 */
async function recoverFromKill(failed: { output: string }) {
  const steps: string[] = [];
  if (/locked by/.test(failed.output)) {
    await pulumiOk(stack, ["cancel", ...STACK, "--yes"]);
    steps.push("pulumi cancel");
  }
  if (/pending operations/.test(failed.output)) {
    await pulumiOk(stack, ["refresh", ...STACK, "--yes", "--clear-pending-creates"]);
    steps.push("pulumi refresh --clear-pending-creates");
  }
  console.log(`# cli after a killed up, the next one needed: ${steps.join(", ") || "nothing"}`);
  return pulumi(stack, ["up", ...STACK, "--yes"]);
}

test(
  "nothing secret in plain text: not in `pulumi stack export`, the backend's files, or anything the CLI printed",
  { timeout: 5 * 60_000 },
  async () => {
    const exported = await pulumiOk(stack, ["stack", "export", ...STACK]);
    const needles = stack.secretValues.flatMap((value) => [
      value,
      ...value
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.length >= 16),
    ]);
    const leaks = (text: string) => needles.filter((n) => text.includes(n)).length;
    assert.equal(leaks(exported.stdout), 0, "pulumi stack export holds a secret in plain text");
    assert.match(exported.stdout, /"ciphertext": "v1:/, "secrets are stored encrypted");
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(stack.backend);
    walk(join(stack.project, "stacks"));
    assert.ok(files.length > 0);
    for (const file of files)
      assert.equal(leaks(readFileSync(file, "latin1")), 0, `${file} holds a secret in plain text`);
    assert.ok(printed.length > 5);
    for (const output of printed) assert.equal(leaks(output), 0, "the CLI printed a secret");
  },
);

test("`pulumi destroy` removes the stack's units and files from the hosts", { timeout: 10 * 60_000 }, async () => {
  const destroy = await pulumiOk(stack, ["destroy", ...STACK, "--yes"]);
  assert.match(destroy.output, /- 7 deleted/);
  for (const unit of ["mqtt-client", "stt-service", "lyra-client", "lyra-config-sync.timer"]) {
    assert.equal(
      (await lab.sshExec("mirror-1", `systemctl cat ${unit} >/dev/null 2>&1`)).code !== 0,
      true,
      `mirror-1: ${unit} still installed`,
    );
  }
  assert.equal(
    await sh(lab, "mirror-1", "test -e /etc/lyra/mqtt-client/mqtt-client.env && echo present || echo gone"),
    "gone",
  );
  assert.equal(
    await sh(lab, "mirror-1", "test -e /etc/systemd/system/mqtt-client.service && echo present || echo gone"),
    "gone",
  );
  assert.equal(
    await sh(lab, "vega", "test -e /etc/mosquitto/lyra/mosquitto.conf && echo present || echo gone"),
    "gone",
  );
});
