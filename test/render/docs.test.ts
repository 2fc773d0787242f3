/**
 * The docs site renderer. A synthetic fleet with hand-written plans (a topology unlike the home
 * stack, hostile characters, secret tokens) proves the code on its own; the home stack proves it
 * against whatever the real service renderers declare today.
 */
import assert from "node:assert/strict";
import { posix } from "node:path";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import type { FleetModel } from "../../src/model/fleet";
import { loadStackFile, parseFleet } from "../../src/model/load";
import { renderDocsSite, renderDocsTree } from "../../src/render/docs/site";
import { code, codeBlock, text } from "../../src/render/docs/markdown";
import { shellBlock } from "../../src/render/docs/shell";
import { dataSetsOf, planFleet } from "../../src/render/index";
import type { HealthCheck, HostPlan, PlanFragment, Prerequisite } from "../../src/render/plan";
import { kindGroups, plannedChecks } from "../../src/verify/reach";

const root = join(__dirname, "..", "..");
const key = (n: number) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${String(n).repeat(43)}`;

/** Broker alone on "hub", the config source moved to "core", two mirrors (one on SSH port 2222). */
const synthFleet: FleetModel = parseFleet(
  {
    site: {
      domain: "test.lan",
      timezone: "UTC",
      ntpServers: ["ntp.test.lan"],
      nas: {
        host: "nas.test.lan",
        path: "/backups/fleet",
        artifacts: { url: "http://nas.test.lan:8081", path: "/artifacts" },
      },
    },
    hosts: {
      hub: {
        address: "10.0.0.1",
        role: "vega",
        ssh: { hostKey: key(1) },
        services: { "config-source": { enabled: false } },
      },
      core: {
        address: "10.0.0.2",
        role: "lyra",
        ssh: { hostKey: key(2) },
        services: { "config-source": { path: "/srv/cfg" } },
      },
      "pi-a": {
        address: "10.0.0.3",
        role: "mirror",
        ssh: { user: "pi", hostKey: key(3) },
        services: { "lyra-client": { reconnectSeconds: 45 } },
      },
      "pi-b": { address: "10.0.0.4", role: "mirror", ssh: { user: "pi", port: 2222, hostKey: key(4) } },
    },
    versions: {
      "lyra-orchestrator": "1.0.0",
      qdrant: "1.0.0",
      "node-red": "4.0.0",
      "stt-service": "0.1.0",
      "lyra-client": "1.0.0",
    },
    images: { "mqtt-broker": `eclipse-mosquitto:2@sha256:${"a".repeat(64)}` },
    artifacts: Object.fromEntries(
      ["lyra-orchestrator", "qdrant", "node-red", "stt-service", "lyra-client"].map((key) => [
        key,
        { sha256: "b".repeat(64), file: `${key}.tar.gz` },
      ]),
    ),
  },
  "stacks/Pulumi.synth.yaml",
);

const unit = (name: string, after: Prerequisite[] = []) => ({
  name,
  content: "[Unit]\n",
  enabled: true,
  active: true,
  longRunning: true,
  after,
});

function synthPlan(host: string, f: PlanFragment): HostPlan {
  const h = synthFleet.hosts.find((x) => x.name === host)!;
  return {
    host,
    role: h.role,
    fqdn: h.fqdn,
    connection: { address: h.address, port: h.ssh.port, user: h.ssh.user, hostKey: h.ssh.hostKey },
    services: Object.keys(h.services).sort(),
    packages: [],
    artifacts: [],
    directories: [],
    files: [],
    units: [],
    containers: [],
    ports: [],
    checks: [],
    recovery: [],
    serves: [],
    offline: [],
    pulls: [],
    docsSite: [],
    mqttRoundTrips: [],
    unitOrder: {},
    dataSets: dataSetsOf(h),
    ...f,
  };
}

const hostileCheck: HealthCheck = {
  kind: "command",
  name: "core: token | pipe",
  command: "mosquitto_sub -P @@secret:mqtt-password-monitor@@ -t 'lyra/#' | head -1",
};

/** What a mirror's client does while the broker is away, and the config it pulls from core. */
const mirrorOffline = (retrySeconds: number) => ({
  service: "lyra-client",
  cachePath: "/var/lib/lyra/cache",
  log: "/var/log/lyra-fallback.log",
  retrySeconds,
});
const mirrorPull = { service: "config-sync", what: "config sync", from: "core:/srv/cfg/", everyMinutes: 5 };

const synthPlans: HostPlan[] = [
  synthPlan("core", {
    units: [
      unit("lyra-orchestrator.service", [
        { kind: "container", label: "hub/mqtt-broker", host: "hub", container: "mqtt-broker" },
      ]),
      { ...unit("prometheus.service"), content: null, dropIn: "[Service]\n" },
    ],
    ports: [{ port: 8000, protocol: "tcp", service: "lyra-orchestrator" }],
    files: [
      {
        path: "/etc/lyra/secret.env",
        content: "PW=@@secret:mqtt-password-orchestrator@@\n",
        mode: "0600",
        owner: "lyra",
        group: "lyra",
        restarts: ["lyra-orchestrator.service"],
      },
    ],
    checks: [
      { kind: "http", name: "core: orchestrator healthz", url: "http://core.test.lan:8000/healthz", expectStatus: 200 },
      hostileCheck,
    ],
    serves: [
      {
        service: "config-source",
        summary: "config source /srv/cfg/",
        powerFirst: { name: "config source", why: "the mirrors sync their config from here" },
      },
    ],
    recovery: [
      { service: "lyra-orchestrator", commands: ["systemctl restart lyra-orchestrator", "echo `uname -n` <done>"] },
      {
        service: "ups",
        commands: ["upsc rack@localhost"],
        powerOn: { what: "the UPS", command: "upsc rack@localhost" },
      },
    ],
  }),
  synthPlan("hub", {
    containers: [
      {
        name: "mqtt-broker",
        image: `eclipse-mosquitto:2@sha256:${"a".repeat(64)}`,
        ports: [{ container: 1883, host: 1883, protocol: "tcp" }],
        mounts: [{ source: "/etc/mosquitto", target: "/mosquitto/config", readOnly: true, kind: "bind" }],
        restart: "unless-stopped",
        healthcheck: { test: ["CMD", "true"], intervalSeconds: 30, timeoutSeconds: 5, retries: 3 },
        labels: { "org.lyra-fleet.service": "mqtt-broker" },
        configFiles: [],
      },
      {
        name: "unrelated-sidecar",
        image: `registry.lan/sidecar@sha256:${"b".repeat(64)}`,
        ports: [],
        mounts: [],
        restart: "always",
        healthcheck: { test: ["CMD", "true"], intervalSeconds: 30, timeoutSeconds: 5, retries: 3 },
        labels: { "org.lyra-fleet.service": "other" },
        configFiles: [],
      },
    ],
    ports: [{ port: 1883, protocol: "tcp", service: "mqtt-broker" }],
    serves: [
      {
        service: "mqtt-broker",
        summary: "MQTT broker, port 1883 (docker)",
        powerFirst: { name: "broker", why: "every other host connects to the broker" },
        mqttBroker: { port: 1883, user: "monitor", watchRegistrations: "mosquitto_sub -t 'lyra/registration/+' -v" },
      },
      {
        service: "prometheus",
        summary: "metrics: Prometheus, scrapes every 15 s",
        note: "metrics: hub Prometheus scrapes node-exporter on core, hub, pi-a, pi-b",
      },
    ],
    checks: [
      { kind: "container", name: "hub: broker container", container: "mqtt-broker" },
      { kind: "mqtt-roundtrip", name: "hub: round trip", topic: "lyra/test" },
    ],
    recovery: [
      {
        service: "mqtt-broker",
        commands: ["docker restart mqtt-broker", "docker logs --tail 50 mqtt-broker"],
        scenario: {
          title: "Broker failure",
          situation: "the broker, as a container.",
          gone: "container gone",
          verify: { only: "mqtt", kinds: ["mqtt-roundtrip", "mqtt-fresh"] },
        },
      },
    ],
  }),
  synthPlan("pi-a", {
    checks: [{ kind: "mqtt-fresh", name: "pi-a: heartbeat", topic: "lyra/presence/pi-a", withinSeconds: 60 }],
    units: [unit("lyra-client.service")],
    offline: [mirrorOffline(45)],
    pulls: [mirrorPull],
  }),
  synthPlan("pi-b", {
    checks: [{ kind: "unit", name: "pi-b: client", unit: "lyra-client.service" }],
    units: [unit("lyra-client.service")],
    offline: [mirrorOffline(30)],
    pulls: [mirrorPull],
  }),
];

const synthDocsHost = synthFleet.hosts.find((h) => h.name === "core")!;
const synthTree = () => new Map(renderDocsTree(synthFleet, synthDocsHost, synthPlans).map((f) => [f.path, f.content]));

/** Every page path mkdocs.yml's nav lists. */
function navPaths(yml: string): string[] {
  const walk = (items: unknown[]): string[] =>
    items.flatMap((item) =>
      Object.values(item as Record<string, unknown>).flatMap((v) => (Array.isArray(v) ? walk(v) : [String(v)])),
    );
  return walk((parse(yml) as { nav: unknown[] }).nav);
}

/** Relative Markdown links of a page that do not resolve to a page of the tree (what mkdocs --strict rejects). */
function brokenLinks(tree: Map<string, string>): string[] {
  const broken: string[] = [];
  for (const [path, content] of tree) {
    if (!path.endsWith(".md")) continue;
    for (const m of content.replace(/```[\s\S]*?```/g, "").matchAll(/\]\(([^)]+)\)/g)) {
      const target = posix.normalize(posix.join(posix.dirname(path), m[1]));
      if (!tree.has(target)) broken.push(`${path} -> ${m[1]}`);
    }
  }
  return broken;
}

function assertSite(fleet: FleetModel, plans: readonly HostPlan[], tree: Map<string, string>): void {
  const pages = [...tree.keys()].filter((p) => p.endsWith(".md")).sort();
  const expected = [
    "docs/index.md",
    "docs/recovery.md",
    "docs/checks.md",
    "docs/entries/index.md",
    ...fleet.hosts.map((h) => `docs/hosts/${h.name}.md`),
  ];
  assert.deepEqual(pages, expected.sort());
  assert.deepEqual(
    navPaths(tree.get("mkdocs.yml")!)
      .map((p) => `docs/${p}`)
      .sort(),
    pages,
    "the nav lists every page, and only pages",
  );
  assert.deepEqual(brokenLinks(tree), []);
  for (const plan of plans) {
    const page = tree.get(`docs/hosts/${plan.host}.md`)!;
    for (const u of plan.units) assert.ok(page.includes(code(u.name)), `${plan.host}: unit ${u.name}`);
    for (const c of plan.checks) assert.ok(page.includes(code(c.name)), `${plan.host}: check ${c.name}`);
    for (const c of plan.checks) assert.ok(tree.get("docs/checks.md")!.includes(code(c.name)), `checks.md: ${c.name}`);
    for (const c of plan.containers) assert.ok(page.includes(code(c.name)), `${plan.host}: container ${c.name}`);
    for (const f of plan.files) assert.ok(page.includes(code(f.path)), `${plan.host}: file ${f.path}`);
    for (const p of plan.ports)
      assert.ok(
        page.includes(`| ${code(p.port)} | ${p.protocol} | ${code(p.service)} |`),
        `${plan.host}: port ${p.port}`,
      );
    for (const r of plan.recovery)
      assert.ok(
        page.includes(
          shellBlock(
            { host: plan.host },
            r.commands.map((c) => c.replace(/@@secret:([a-z0-9-]+)@@/g, "<secret $1>")),
          ),
        ),
        `${plan.host}: recovery ${r.service}`,
      );
  }
  for (const [path, content] of tree) assert.doesNotMatch(content, /@@secret/, `${path} holds a secret token`);
}

test("synthetic fleet: a page per host, nav matches the files, every link resolves, no secret token", () => {
  assertSite(synthFleet, synthPlans, synthTree());
});

test("synthetic fleet: the fragment puts the site under /opt/lyra/docs, root 0644; mkdocs.yml and the hook restart mkdocs.service, pages do not", () => {
  const fragment = renderDocsSite(synthFleet, synthDocsHost, synthPlans);
  const dirs = fragment.directories!.map((d) => d.path);
  assert.deepEqual(dirs, [
    "/opt/lyra/docs",
    "/opt/lyra/docs/docs",
    "/opt/lyra/docs/docs/entries",
    "/opt/lyra/docs/docs/hosts",
  ]);
  for (const f of fragment.files!) {
    assert.match(f.path, /^\/opt\/lyra\/docs\/(mkdocs\.yml|entries_hook\.py|docs\/.+\.md)$/);
    // mkdocs serve rebuilds a changed page itself; its config and hook are read at start.
    const restarts = f.path.startsWith("/opt/lyra/docs/docs/") ? [] : ["mkdocs.service"];
    assert.deepEqual([f.mode, f.owner, f.group, f.restarts], ["0644", "root", "root", restarts]);
    assert.ok(dirs.includes(posix.dirname(f.path)), `no directory declared for ${f.path}`);
  }
  // The docs host's own page lists the site's files, so its page matches its final plan.
  const corePage = synthTree().get("docs/hosts/core.md")!;
  for (const f of fragment.files!) assert.ok(corePage.includes(code(f.path)), `core page lacks ${f.path}`);
  assert.ok(!synthTree().get("docs/hosts/hub.md")!.includes("/opt/lyra/docs/"), "only the docs host serves the site");
});

test("synthetic fleet: deterministic, two renders are identical", () => {
  assert.deepEqual([...synthTree()], [...synthTree()]);
  assert.deepEqual(
    renderDocsSite(synthFleet, synthDocsHost, synthPlans),
    renderDocsSite(synthFleet, synthDocsHost, [...synthPlans]),
  );
});

test("synthetic fleet: secrets are masked, hostile characters stay inside code", () => {
  const tree = synthTree();
  const checks = tree.get("docs/checks.md")!;
  assert.ok(checks.includes("`mosquitto_sub -P <secret mqtt-password-monitor> -t 'lyra/#' | head -1` exits 0"), checks);
  assert.ok(!tree.get("docs/hosts/core.md")!.includes("PW="), "file contents are never shown");
  assert.ok(
    tree.get("docs/hosts/core.md")!.includes("echo `uname -n` <done>\n```"),
    "recovery commands verbatim in a code block",
  );
  assert.equal(code("a`b"), "``a`b``");
  assert.equal(code("`x`"), "`` `x` ``");
  assert.equal(text("a|b <c> *d*"), "a\\|b &lt;c&gt; \\*d\\*");
  assert.equal(codeBlock(["```", "x"]), "````\n```\nx\n````");
});

test("synthetic fleet: recovery follows the model (order, broker commands, NAS, fallback, SSH ports)", () => {
  const recovery = synthTree().get("docs/recovery.md")!;
  const at = (s: string) => {
    const i = recovery.indexOf(s);
    assert.ok(i >= 0, `recovery.md lacks ${s}`);
    return i;
  };
  // Power: the broker host and the config source host first, then the other servers, then the mirrors.
  const stage1 = at(
    "1. Power on the broker and config source: [core](hosts/core.md) (`10.0.0.2`), [hub](hosts/hub.md)",
  );
  assert.ok(stage1 < at("2. Power on the mirrors: [pi-a](hosts/pi-a.md) (`10.0.0.3`), [pi-b](hosts/pi-b.md)"));
  assert.ok(!recovery.includes("Power on the servers"), "no server left once core and hub are the hub");
  at("`pulumi up --stack synth`");
  // The broker's scenario, as its module wrote it, on its host, with only its own containers.
  const scenario = at("## Broker failure\n\nOn [hub](hosts/hub.md) (`10.0.0.1`): the broker, as a container.");
  assert.ok(
    scenario < at("```sh\n# on hub, as root\ndocker restart mqtt-broker\ndocker logs --tail 50 mqtt-broker\n```"),
  );
  at(`| \`mqtt-broker\` | \`eclipse-mosquitto:2@sha256:${"a".repeat(64)}\` | \`unless-stopped\` |`);
  assert.ok(!recovery.includes("unrelated-sidecar"), "another service's container in the broker's scenario");
  at("If it does not come back (container gone), `pulumi up --stack synth` recreates it from the stack.");
  at("```sh\n# on the operator's machine, in the checkout\nnpm run verify -- --stack synth --only mqtt --watch\n```");
  at("- `hub: round trip` on [hub](hosts/hub.md)");
  at("- `pi-a: heartbeat` on [pi-a](hosts/pi-a.md)");
  at("4. The scenario above that matches: broker failure (on `hub`), a mirror rebuild, a NAS restore.");
  at("a message on `lyra/presence/pi-a` within 60 s");
  // No backup: section: the data sets are listed, and said to live only on their hosts.
  at("This stack declares no backups (no `backup:` section): the data below lives only on its host.");
  at(
    "| [core](hosts/core.md) | `config-source` | `/srv/cfg` | the fleet's config source (the mirrors sync it) | not backed up |",
  );
  assert.ok(!recovery.includes("rsync -a nas.test.lan"), "no manual copy from the NAS");
  assert.ok(!recovery.includes("lyra-restore"), "no restore command without backups");
  // What a host's services say to check at power-on (the UPS), in its stage.
  assert.ok(at("Check the UPS first: `upsc rack@localhost` on `core`.") < at("2. Power on the mirrors"));
  // Emergency mode, the broker and the mirrors' config sync: from the plans, not the model.
  at("When a mirror loses the broker (`hub:1883`), its `lyra-client` keeps going offline");
  at("its config sync then pulls `core:/srv/cfg/`.");
  at("| `/var/lib/lyra/cache` | `/var/log/lyra-fallback.log` | 45 s |");
  at("| `/var/lib/lyra/cache` | `/var/log/lyra-fallback.log` | 30 s |");
  at("ssh-copy-id -p 2222 -i <operator-key>.pub pi@10.0.0.4");
  at("ssh-keyscan -p 2222 -t ed25519 10.0.0.4");
  at("#   -> hosts.pi-b.ssh.hostKey in stacks/Pulumi.synth.yaml");
  at("## Escalation path");
  at("npm run verify -- --stack synth --host pi-b --watch");
  assert.ok(
    at("this shows when. A mirror still logging failures") <
      recovery.lastIndexOf("npm run verify -- --stack synth --only mqtt --watch\n```"),
    "emergency mode: the verify that shows the mirrors back",
  );
  assert.ok(kindGroups.mqtt, "the docs' --only mqtt is a group the verify command knows");
});

test("synthetic fleet: the topology names broker, config source, metrics, MQTT flows and config sync", () => {
  const index = synthTree().get("docs/index.md")!;
  const diagram = /```text\n([\s\S]*?)\n```/.exec(index)![1];
  for (const s of [
    "* MQTT broker, port 1883 (docker)",
    "* config source /srv/cfg/",
    "* metrics: Prometheus",
    "lyra/presence/#",
    "lyra/health/#",
    "lyra/clients/online/#",
    "lyra/test",
    "sync  mirrors <-- core:/srv/cfg/   every 5 min",
  ]) {
    assert.ok(diagram.includes(s), `diagram lacks ${s}:\n${diagram}`);
  }
  // The hub and its lines are what the plans' services say they serve, and their notes follow the drawing.
  assert.ok(index.includes("metrics: hub Prometheus scrapes node-exporter on core, hub, pi-a, pi-b"));
  assert.ok(
    synthTree()
      .get("docs/hosts/hub.md")!
      .includes("serves the fleet: MQTT broker, port 1883 (docker); metrics: Prometheus, scrapes every 15 s"),
  );
  assert.ok(!synthTree().get("docs/hosts/pi-a.md")!.includes("serves the fleet"));
  const boxRows = diagram.split("\n").filter((l) => l.startsWith("|") || l.startsWith("+-"));
  assert.equal(new Set(boxRows.map((l) => l.length)).size, 1, "every box row has the same width");
  assert.ok(index.includes("| [pi-b](hosts/pi-b.md) | `mirror` | `10.0.0.4` |"));
});

test("home stack: recovery names each mirror's own registration topic and how to watch them all", () => {
  const fleet = loadStackFile(join(root, "stacks/Pulumi.home.yaml"));
  const plans = planFleet(fleet);
  const recovery = plans.flatMap((p) => p.files).find((f) => f.path === "/opt/lyra/docs/docs/recovery.md")!.content;
  for (const mirror of ["mirror-1", "mirror-2"]) {
    assert.ok(
      recovery.includes(
        `\`${mirror}\` registered online on \`lyra/clients/online/${mirror}\` (retained, or within 60 s)`,
      ),
      mirror,
    );
  }
  assert.ok(
    recovery.includes(
      'By hand, on `vega`, this lists each mirror\'s retained registration (`"online":true`) or its last will (`"online":false`), one topic per mirror: only that mirror\'s MQTT user may publish there.\n\n' +
        "```sh\n# on vega, as root\nXDG_CONFIG_HOME=/etc/mosquitto/lyra/monitor mosquitto_sub -t 'lyra/clients/online/#' -v -C 2 -W 10\n```",
    ),
    recovery,
  );
});

test("home stack: the NAS restore says what the stack backs up and restores, and how to bring back an older backup", () => {
  const fleet = loadStackFile(join(root, "stacks/Pulumi.home.yaml"));
  const plans = planFleet(fleet);
  const recovery = plans.flatMap((p) => p.files).find((f) => f.path === "/opt/lyra/docs/docs/recovery.md")!.content;
  const at = (s: string) => assert.ok(recovery.includes(s), `recovery.md lacks ${s}`);
  at("backed up by restic to `sftp:lyra@nas.home.arpa:/volume1/lyra-backups/restic` (schedule `*-*-* 03:00:00`");
  at("keeping 7 daily, 4 weekly and 6 monthly backups");
  // One row per data set the plans declare: backed up with its timer, or said not to be.
  at(
    "| [lyra](hosts/lyra.md) | `qdrant` | `/var/lib/qdrant/snapshots` | a snapshot of every collection, made before each backup | `qdrant`: `lyra-backup-qdrant.timer` |",
  );
  at(
    "| [lyra](hosts/lyra.md) | `nodered` | `/var/lib/nodered` | flows and credentials deployed from the editor | `nodered`: `lyra-backup-nodered.timer` |",
  );
  at("| `mkdocs-incidents`: `lyra-backup-mkdocs-incidents.timer` |");
  at("| [vega](hosts/vega.md) | `mqtt-broker` | `/var/lib/docker/volumes/mqtt-broker-data/_data` |");
  at("| `config-source`: `lyra-backup-config-source.timer` |");
  at(
    "| [vega](hosts/vega.md) | `prometheus` | `/var/lib/prometheus/metrics2` | metrics history (not backed up: it refills by scraping) | not backed up |",
  );
  at("| `/var/lib/lyra/cache` | cached answers (optional: refilled while online) | not backed up |");
  at("ssh root@192.168.1.10 'lyra-restore --list qdrant'");
  at("ssh root@192.168.1.10 'lyra-restore qdrant <snapshot id>'");
  assert.ok(!recovery.includes("rsync -a nas.home.arpa"), "the manual copy from the NAS is gone");
  // Every data set listed is one the plans declare.
  const declared = plans.flatMap((p) => p.dataSets.map((d) => d.path));
  for (const path of declared) at(`\`${path}\``);
});

test("home stack: the docs host gets the site; every host page lists its plan's units and checks", () => {
  const fleet = loadStackFile(join(root, "stacks/Pulumi.home.yaml"));
  const plans = planFleet(fleet);
  const docsHosts = plans.filter((p) => p.files.some((f) => f.path === "/opt/lyra/docs/mkdocs.yml"));
  assert.deepEqual(
    docsHosts.map((p) => p.host),
    fleet.hosts.filter((h) => h.services.mkdocs).map((h) => h.name),
  );
  const tree = new Map(
    docsHosts[0].files
      .filter((f) => f.path.startsWith("/opt/lyra/docs/"))
      .map((f) => [f.path.slice("/opt/lyra/docs/".length), f.content]),
  );
  assertSite(fleet, plans, tree);
  const recovery = tree.get("docs/recovery.md")!;
  assert.ok(recovery.includes("`pulumi up --stack home`"));
  assert.ok(
    recovery.indexOf("[vega](hosts/vega.md)") < recovery.indexOf("[lyra](hosts/lyra.md)"),
    "Vega powers on before Lyra",
  );
  assert.ok(
    recovery.indexOf("[lyra](hosts/lyra.md)") < recovery.indexOf("[mirror-1](hosts/mirror-1.md)"),
    "Lyra before the mirrors",
  );
  assert.deepEqual(planFleet(loadStackFile(join(root, "stacks/Pulumi.home.yaml"))), plans, "deterministic");
  // checks.md and the verify command list the same checks, in the same order.
  const rows = tree
    .get("docs/checks.md")!
    .split("\n")
    .filter((l) => l.startsWith("| ["))
    .map((l) => l.split(" | ").slice(0, 2).join(" | "));
  assert.deepEqual(
    rows,
    plannedChecks(fleet, plans).map((vc) => `| [${vc.host}](hosts/${vc.host}.md) | ${code(vc.check.name)}`),
  );
});
