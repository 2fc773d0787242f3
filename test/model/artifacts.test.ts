/**
 * The stack's release artifacts (`artifacts:`) and the NAS artifact share (`site.nas.artifacts`):
 * each bad input is refused before anything is planned, naming the stack file, the field and what
 * was expected; a good one reaches the model as written.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { FleetConfigError, parseFleet } from "../../src/model/load";
import { allBuilds } from "../../src/model/artifacts";
import { pinnedKeys } from "../../src/model/services";
import { planFleet } from "../../src/render";
import { defineService } from "../../src/services/module";
import { enabled } from "../../src/services/option-types";
import { registerService } from "../../src/services/registry";
import { stackFleet } from "../support/stack-fleet";

const source = "stacks/Pulumi.test.yaml";
type Raw = Record<string, any>;

/** The problems parsing the home stack with `mutate` applied reports, as "path: message" lines. */
function problems(mutate: (f: Raw) => void): string[] {
  const raw = stackFleet("home");
  mutate(raw);
  try {
    parseFleet(raw, source);
  } catch (err) {
    assert.ok(err instanceof FleetConfigError, String(err));
    assert.ok(err.message.startsWith(`${source}: `), err.message);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail("the stack was accepted");
}

const cases: { name: string; mutate: (f: Raw) => void; expect: string }[] = [
  {
    name: "a pinned app without its artifact entry",
    mutate: (f) => delete f.artifacts.qdrant,
    expect:
      "artifacts.qdrant: missing; expected the release artifact pinned for versions.qdrant: { sha256, file, upstream (optional) }",
  },
  {
    name: "no artifacts section at all",
    mutate: (f) => delete f.artifacts,
    expect:
      "artifacts: missing; expected a map of artifact pins, one per key: lyra-client, lyra-orchestrator, node-red, qdrant, stt-service",
  },
  {
    name: "a digest in capitals",
    mutate: (f) => (f.artifacts.qdrant.sha256 = "A".repeat(64)),
    expect:
      "artifacts.qdrant.sha256: expected 64 lowercase hex digits, the sha256 of the .tar.gz (`npm run artifacts -- --stack <name>` prints it)",
  },
  {
    name: "a digest too short",
    mutate: (f) => (f.artifacts["node-red"].sha256 = "ab12"),
    expect: "artifacts.node-red.sha256: expected 64 lowercase hex digits",
  },
  {
    name: "a digest YAML read as a number",
    mutate: (f) => (f.artifacts["stt-service"].sha256 = 0),
    expect: "artifacts.stt-service.sha256: expected 64 lowercase hex digits",
  },
  {
    name: "a file name with a directory",
    mutate: (f) => (f.artifacts["node-red"].file = "../node-red.tar.gz"),
    expect: "artifacts.node-red.file: expected the artifact's file name, a .tar.gz",
  },
  {
    name: "a file that is not a .tar.gz",
    mutate: (f) => (f.artifacts["node-red"].file = "node-red.zip"),
    expect: "artifacts.node-red.file: expected the artifact's file name, a .tar.gz",
  },
  {
    name: "an upstream template without {version}",
    mutate: (f) => (f.artifacts.qdrant.upstream = "https://github.com/qdrant/qdrant/releases/latest/qdrant.tar.gz"),
    expect:
      "artifacts.qdrant.upstream: expected an http(s) URL template naming {version}, e.g. https://github.com/qdrant/qdrant/releases/download/v{version}/qdrant-x86_64-unknown-linux-gnu.tar.gz; this one does not name {version}",
  },
  {
    name: "an upstream template with another placeholder",
    mutate: (f) => (f.artifacts.qdrant.upstream = "https://example.org/{arch}/{version}.tar.gz"),
    expect:
      "artifacts.qdrant.upstream: expected an http(s) URL template naming {version}, e.g. https://github.com/qdrant/qdrant/releases/download/v{version}/qdrant-x86_64-unknown-linux-gnu.tar.gz; {version} is the only placeholder",
  },
  {
    name: "an upstream that is not http(s)",
    mutate: (f) => (f.artifacts.qdrant.upstream = "ftp://example.org/qdrant-{version}.tar.gz"),
    expect:
      "artifacts.qdrant.upstream: expected an http(s) URL template naming {version}, e.g. https://github.com/qdrant/qdrant/releases/download/v{version}/qdrant-x86_64-unknown-linux-gnu.tar.gz; its scheme is ftp: (not http or https)",
  },
  {
    name: "an upstream with a shell character",
    mutate: (f) => (f.artifacts.qdrant.upstream = "https://example.org/$(reboot)/{version}.tar.gz"),
    expect: "artifacts.qdrant.upstream: expected an http(s) URL template naming {version}",
  },
  {
    name: "an artifact no module installs",
    mutate: (f) => (f.artifacts.grafana = { sha256: "a".repeat(64), file: "grafana.tar.gz" }),
    expect:
      "artifacts.grafana: unknown artifact; expected one of: lyra-client, lyra-orchestrator, node-red, qdrant, stt-service",
  },
  {
    name: "an unknown field in an entry",
    mutate: (f) => (f.artifacts.qdrant.sha512 = "a".repeat(128)),
    expect: "artifacts.qdrant.sha512: unknown field",
  },
  {
    name: "a build without its file",
    mutate: (f) => delete f.artifacts["node-red"].file,
    expect: "artifacts.node-red.file: expected the artifact's file name, a .tar.gz",
  },
  {
    name: "an entry with neither a build nor builds per architecture",
    mutate: (f) => (f.artifacts["lyra-client"] = {}),
    expect:
      "artifacts.lyra-client: expected the release artifact pinned for versions.lyra-client: { sha256, file, upstream (optional) } when one build runs on every architecture, or one per architecture",
  },
  {
    name: "one build for every architecture and one per architecture at once",
    mutate: (f) => (f.artifacts.qdrant.aarch64 = { sha256: "b".repeat(64), file: "qdrant-aarch64.tar.gz" }),
    expect:
      "artifacts.qdrant.sha256: expected either one build for every architecture or one per architecture (aarch64 given), not both: move sha256, file, upstream under an architecture",
  },
  {
    name: "a build per architecture with a bad digest",
    mutate: (f) => (f.artifacts.qdrant = { x86_64: { sha256: "nope", file: "qdrant.tar.gz" } }),
    expect: "artifacts.qdrant.x86_64.sha256: expected 64 lowercase hex digits",
  },
  {
    name: "a build per architecture that is not a map",
    mutate: (f) => (f.artifacts.qdrant = { aarch64: "qdrant-aarch64.tar.gz" }),
    expect:
      "artifacts.qdrant.aarch64: expected the aarch64 build of versions.qdrant: { sha256, file, upstream (optional) }",
  },
  {
    name: "an architecture no host can have",
    mutate: (f) => (f.artifacts.qdrant = { riscv64: { sha256: "b".repeat(64), file: "qdrant.tar.gz" } }),
    expect: "artifacts.qdrant.riscv64: unknown field",
  },
  {
    name: "a host whose architecture is not one of the fleet's",
    mutate: (f) => (f.hosts["mirror-1"].arch = "armv7l"),
    expect: "hosts.mirror-1.arch: expected the host's CPU architecture as `uname -m` prints it: x86_64 or aarch64",
  },
  {
    name: "an aarch64 host running an app pinned for x86_64 only",
    mutate: (f) => {
      f.hosts["mirror-1"].arch = "x86_64";
      f.hosts["mirror-2"].arch = "aarch64";
      f.artifacts["stt-service"] = { x86_64: { sha256: "b".repeat(64), file: "stt-service-x86_64.tar.gz" } };
    },
    expect:
      "artifacts.stt-service.aarch64: expected an aarch64 build of stt-service: host 'mirror-2' (arch: aarch64) runs stt-service, and only x86_64 is pinned; add aarch64: { sha256, file, upstream (optional) }",
  },
  {
    name: "no artifact share",
    mutate: (f) => delete f.site.nas.artifacts,
    expect: "site.nas.artifacts: missing; expected the NAS artifact share: { url, path }",
  },
  {
    name: "a share URL with a trailing slash",
    mutate: (f) => (f.site.nas.artifacts.url = "http://nas.home.arpa:8081/"),
    expect:
      "site.nas.artifacts.url: expected the http(s) URL the hosts read the artifact share at, without a trailing '/', query or fragment, e.g. http://nas.home.arpa:8081; this one ends in '/' or has a query or fragment",
  },
  {
    name: "a share URL with a user and password",
    mutate: (f) => (f.site.nas.artifacts.url = "http://lyra:secret@nas.home.arpa:8081"),
    expect:
      "site.nas.artifacts.url: expected the http(s) URL the hosts read the artifact share at, without a trailing '/', query or fragment, e.g. http://nas.home.arpa:8081; it holds a user or password",
  },
  {
    name: "a share URL whose host is no host",
    mutate: (f) => (f.site.nas.artifacts.url = "http://nas_box:8081"),
    expect: "site.nas.artifacts.url: expected the http(s) URL the hosts read the artifact share at",
  },
  {
    name: "a share path that is relative",
    mutate: (f) => (f.site.nas.artifacts.path = "volume1/lyra-artifacts"),
    expect: "site.nas.artifacts.path: expected an absolute, normalized path on the NAS",
  },
];

for (const { name, mutate, expect } of cases) {
  test(`refused: ${name}`, () => {
    const found = problems(mutate);
    assert.equal(found.length, 1, found.join("\n"));
    assert.ok(found[0].startsWith(expect), `expected "${expect}..."\n got "${found[0]}"`);
  });
}

test("a valid pin reaches the model as written; the share and the upstream stay optional where declared so", () => {
  const raw = stackFleet("home");
  delete raw.artifacts.qdrant.upstream;
  raw.artifacts.qdrant.sha256 = "0123456789abcdef".repeat(4);
  const fleet = parseFleet(raw, source);
  assert.deepEqual(fleet.artifacts.qdrant, {
    any: { sha256: "0123456789abcdef".repeat(4), file: "qdrant-x86_64-unknown-linux-gnu.tar.gz" },
  });
  assert.deepEqual(fleet.site.nas.artifacts, { url: "http://nas.home.arpa:8081", path: "/volume1/lyra-artifacts" });
});

test("a module's artifact key is required of every stack; a module may only list its own versions", () => {
  const withArtifact = defineService({
    id: "example-artifact",
    options: z.strictObject({ enabled }),
    roles: [],
    versions: ["example-app"],
    artifacts: ["example-app"],
  });
  const unregister = registerService(withArtifact);
  try {
    assert.ok(pinnedKeys().artifacts.includes("example-app"));
    const found = problems((f) => (f.versions["example-app"] = "1.0.0"));
    assert.deepEqual(found, [
      "artifacts.example-app: missing; expected the release artifact pinned for versions.example-app: { sha256, file, upstream (optional) } when one build runs on every architecture, or one per architecture (x86_64: { sha256, file, upstream (optional) }, aarch64: { sha256, file, upstream (optional) })",
    ]);
  } finally {
    unregister();
  }
  const stray = defineService({
    id: "example-stray",
    options: z.strictObject({ enabled }),
    roles: [],
    versions: ["example-app"],
    artifacts: ["example-other" as "example-app"],
  });
  const unregisterStray = registerService(stray);
  try {
    assert.throws(
      () => pinnedKeys(),
      /internal: service example-stray lists artifacts example-other that are not among its versions/,
    );
  } finally {
    unregisterStray();
  }
});

test("builds per architecture: each host plans the build of its own architecture, and the share holds them all", () => {
  const raw = stackFleet("home");
  raw.hosts["mirror-1"].arch = "x86_64";
  raw.hosts["mirror-2"].arch = "aarch64";
  raw.artifacts["stt-service"] = {
    x86_64: { sha256: "a".repeat(64), file: "stt-service-x86_64.tar.gz" },
    aarch64: {
      sha256: "b".repeat(64),
      file: "stt-service-aarch64.tar.gz",
      upstream: "https://example.org/stt/{version}/stt-service-aarch64.tar.gz",
    },
  };
  const fleet = parseFleet(raw, source);
  const stt = (host: string) =>
    planFleet(fleet)
      .find((p) => p.host === host)!
      .artifacts.find((a) => a.key === "stt-service")!;
  assert.deepEqual(
    [stt("mirror-1").sha256, stt("mirror-1").urls],
    ["a".repeat(64), ["http://nas.home.arpa:8081/stt-service/0.9.1/stt-service-x86_64.tar.gz"]],
  );
  assert.deepEqual(
    [stt("mirror-2").sha256, stt("mirror-2").urls],
    [
      "b".repeat(64),
      [
        "http://nas.home.arpa:8081/stt-service/0.9.1/stt-service-aarch64.tar.gz",
        "https://example.org/stt/0.9.1/stt-service-aarch64.tar.gz",
      ],
    ],
  );
  assert.equal(
    stt("mirror-1").installDir,
    stt("mirror-2").installDir,
    "one version, one install dir, whatever the build",
  );
  assert.deepEqual([stt("mirror-1").arch, stt("mirror-2").arch], ["x86_64", "aarch64"], "checked on the host");
  const nodeRed = planFleet(fleet)
    .find((p) => p.host === "lyra")!
    .artifacts.find((a) => a.key === "node-red")!;
  assert.equal("arch" in nodeRed, false, "one build for every architecture: nothing to check");
  assert.deepEqual(
    allBuilds(fleet.artifacts["stt-service"])
      .map((b) => b.file)
      .sort(),
    ["stt-service-aarch64.tar.gz", "stt-service-x86_64.tar.gz"],
  );
});
