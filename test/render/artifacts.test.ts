/**
 * Release artifacts in the plan: one helper lays out every module's artifact (URLs, install dir,
 * check), and plan assembly sorts them by key, adds curl (the host fetches with it) and refuses two
 * renderers declaring one key differently.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadStackFile } from "../../src/model/load";
import { assemblePlan } from "../../src/render/assemble";
import { artifactInstalled, plannedArtifact } from "../../src/render/artifacts";
import { planFleet } from "../../src/render";
import type { PlannedArtifact } from "../../src/render/plan";
import { homeFleet } from "./fixtures";

const home = loadStackFile("stacks/Pulumi.home.yaml");

test("each host's plan installs the artifacts of the apps it runs, sorted by key", () => {
  const byHost = Object.fromEntries(planFleet(home).map((p) => [p.host, p.artifacts.map((a) => a.key)]));
  assert.deepEqual(byHost, {
    lyra: ["lyra-orchestrator", "node-red", "qdrant"],
    "mirror-1": ["lyra-client", "stt-service"],
    "mirror-2": ["lyra-client", "stt-service"],
    vega: [],
  });
});

test("an app moved to another host takes its artifact along", () => {
  const moved = homeFleet((raw) => {
    raw.hosts.lyra.services.qdrant = { enabled: false };
    raw.hosts.vega.services = { qdrant: {} };
  });
  const byHost = Object.fromEntries(planFleet(moved).map((p) => [p.host, p.artifacts.map((a) => a.key)]));
  assert.deepEqual([byHost.lyra, byHost.vega], [["lyra-orchestrator", "node-red"], ["qdrant"]]);
});

test("the helper: the share's URL first, upstream with {version} replaced, the versioned install dir", () => {
  const fleet = homeFleet((raw) => {
    raw.site.nas.artifacts.url = "https://nas.example.org";
    raw.artifacts["node-red"].upstream = "https://mirror.example.org/node-red/{version}/node-red-{version}.tar.gz";
  });
  assert.deepEqual(
    plannedArtifact(fleet, fleet.hosts[0], "node-red", { postInstall: "true", restarts: ["b.service", "a.service"] }),
    {
      key: "node-red",
      version: "4.1.8",
      sha256: "0".repeat(64),
      urls: [
        "https://nas.example.org/node-red/4.1.8/node-red.tar.gz",
        "https://mirror.example.org/node-red/4.1.8/node-red-4.1.8.tar.gz",
      ],
      installDir: "/opt/lyra/apps/node-red/4.1.8",
      postInstall: "true",
      restarts: ["b.service", "a.service"],
    },
  );
  assert.throws(
    () => plannedArtifact(fleet, fleet.hosts[0], "grafana", { restarts: [] }),
    /internal: no version or x86_64 artifact pinned for 'grafana'/,
  );
});

test("the check reads the marker the host writes last: exactly '<sha256> <version>'", () => {
  const artifact = plannedArtifact(home, home.hosts[0], "qdrant", { restarts: [] });
  assert.deepEqual(artifactInstalled(home.hosts[0], artifact), {
    kind: "command",
    name: "lyra: qdrant 1.12.4 installed",
    command: `grep -qx '${"0".repeat(64)} 1.12.4' /opt/lyra/apps/qdrant/1.12.4/.lyra-artifact`,
  });
});

test("assembly: sorted by key, restarts sorted, curl added, one key declared alike or refused", () => {
  const host = home.hosts[0];
  const artifact = (key: string, version = "1.0.0"): PlannedArtifact => ({
    key,
    version,
    sha256: "a".repeat(64),
    urls: [`http://nas/${key}/${version}/${key}.tar.gz`],
    installDir: `/opt/lyra/apps/${key}/${version}`,
    postInstall: "",
    restarts: ["z.service", "a.service"],
  });
  const plan = assemblePlan(host, [
    { artifacts: [artifact("zeta"), artifact("alpha")] },
    { artifacts: [artifact("alpha")] },
  ]);
  assert.deepEqual(
    plan.artifacts.map((a) => a.key),
    ["alpha", "zeta"],
  );
  assert.deepEqual(plan.artifacts[0].restarts, ["a.service", "z.service"]);
  assert.deepEqual(plan.packages, ["curl"], "the host fetches artifacts with curl");
  assert.deepEqual(assemblePlan(host, [{}]).packages, [], "no artifact, no HTTP check: no curl");
  assert.throws(
    () => assemblePlan(host, [{ artifacts: [artifact("alpha")] }, { artifacts: [artifact("alpha", "2.0.0")] }]),
    /two renderers declare artifact 'alpha' differently on host 'lyra'/,
  );
});
