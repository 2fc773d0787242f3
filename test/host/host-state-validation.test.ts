/**
 * A HostState's items are checked before anything is registered or touched: every problem named
 * by its item and field; units converge in their After= order, and a cycle is refused.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeInputs, hostStateProvider } from "../../src/host/resources/host-state-provider";
import { hostStateProblems, unitApplyOrder } from "../../src/host/resources/host-state-validation";

const meta = { mode: "0644", owner: "root", group: "root" };
const unit = (after: string[] = [], restartOn: string[] = []) => ({
  content: "[Service]\nExecStart=/bin/true\n",
  enabled: true,
  active: true,
  after,
  restartOn,
});

test("a valid host has no problems", () => {
  assert.deepEqual(
    hostStateProblems({
      packages: ["curl"],
      directories: { "/etc/lyra": { ...meta, mode: "0755" } },
      files: { "/etc/lyra/a.conf": { content: "a", ...meta } },
      secretFiles: { "/etc/lyra/pw": { content: "s", ...meta, mode: "0600" } },
      units: { "a.service": unit([], ["/etc/lyra/a.conf", "/etc/lyra/pw"]), "a.timer": unit(["a.service"]) },
    }),
    [],
  );
});

test("every problem is named by its item and field, and no content is quoted", () => {
  const problems = hostStateProblems({
    packages: ["Not A Package"],
    directories: { "relative/dir": meta },
    files: { "/etc/x": { content: "top-secret", ...meta, mode: "999" } },
    secretFiles: {},
    units: { nosuffix: unit(["ghost.service"], ["/etc/missing"]) },
  });
  assert.deepEqual(
    problems.map((p) => p.property),
    [
      "packages",
      'directories["relative/dir"]',
      'files["/etc/x"].mode',
      'units["nosuffix"]',
      'units["nosuffix"].after',
      'units["nosuffix"].restartOn',
    ],
  );
  assert.match(problems[4].reason, /names "ghost\.service", which is not a unit of this host/);
  assert.match(
    problems[5].reason,
    /names "\/etc\/missing", which is not a file or an artifact's installDir of this host/,
  );
  assert.ok(!JSON.stringify(problems).includes("top-secret"));
});

test("secret files not known yet (a preview) are not reported missing", () => {
  const problems = hostStateProblems({
    files: {},
    secretFiles: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" as never,
    units: { "a.service": unit([], ["/etc/pw"]) },
  });
  assert.deepEqual(problems, []);
});

test("units converge after the units they name; ties by name; a cycle is refused", () => {
  assert.deepEqual(
    unitApplyOrder({
      "z.service": { after: [] },
      "b.timer": { after: ["b.service"] },
      "b.service": { after: ["z.service"] },
    }),
    ["z.service", "b.service", "b.timer"],
  );
  assert.throws(
    () => unitApplyOrder({ "a.service": { after: ["b.service"] }, "b.service": { after: ["a.service"] } }),
    /order each other in a cycle: a\.service, b\.service/,
  );
  const problems = hostStateProblems({ units: { "a.service": unit(["b.service"]), "b.service": unit(["a.service"]) } });
  assert.deepEqual(problems, [{ property: "units", reason: "order each other in a cycle: a.service, b.service" }]);
});

test("the provider decodes the JSON text the resource sends, and names a property that is not JSON", async () => {
  const connection = {
    host: "vega",
    address: "192.0.2.12",
    port: 22,
    user: "root",
    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBj73L0VaJqdjXeUQymXt9XdRsDn5Ddg/5e05YnW3qOD",
  };
  const items = {
    packages: [],
    directories: {},
    files: { "/etc/x": { content: "x", ...meta } },
    units: { "a.service": unit([], ["/etc/x", "/etc/pw"]) },
  };
  const encoded = {
    connection,
    items: JSON.stringify(items),
    secretFiles: JSON.stringify({ "/etc/pw": { content: "s", ...meta } }),
  };
  const decoded = decodeInputs(encoded as never);
  assert.deepEqual(
    [decoded.files, decoded.secretFiles["/etc/pw"].content, "items" in decoded],
    [items.files, "s", false],
  );
  assert.deepEqual((await hostStateProvider.check({} as never, encoded as never)).failures, []);
  const broken = await hostStateProvider.check({} as never, { ...encoded, items: "{not json" } as never);
  assert.deepEqual(broken.failures, [{ property: "items", reason: "must be the JSON text of an object" }]);
});

test("artifacts: every problem is named by its key and field", () => {
  const good = {
    version: "1.13.0",
    sha256: "a".repeat(64),
    urls: ["http://nas.lab.home.arpa:8081/qdrant/1.13.0/qdrant.tar.gz", "https://github.com/qdrant/qdrant/x.tar.gz"],
    installDir: "/opt/lyra/apps/qdrant/1.13.0",
    postInstall: "",
  };
  assert.deepEqual(
    hostStateProblems({ artifacts: { qdrant: good }, units: { "qdrant.service": unit([], [good.installDir]) } }),
    [],
    "a unit may restart on an artifact's installDir",
  );
  const problems = hostStateProblems({
    artifacts: {
      qdrant: { ...good, sha256: "A".repeat(64), urls: [] },
      stt: { ...good, version: "1 0", urls: ["ftp://nas/x.tar.gz"], installDir: "opt/stt" },
      shared: { ...good, installDir: "/opt/lyra/apps/qdrant/2.0.0", postInstall: 3 },
      top: { ...good, installDir: "/top" },
    },
  });
  assert.deepEqual(problems, [
    {
      property: 'artifacts["qdrant"].sha256',
      reason: `must be 64 lowercase hex digits (the sha256 of the .tar.gz), got "${"A".repeat(64)}"`,
    },
    { property: 'artifacts["qdrant"].urls', reason: "must list at least one http(s) URL" },
    {
      property: 'artifacts["stt"].version',
      reason: 'must be a version such as "1.13.0" (letters, digits, . _ + ~ -), got "1 0"',
    },
    {
      property: 'artifacts["stt"].urls[0]',
      reason: 'must be an http:// or https:// URL without blanks or quotes, got "ftp://nas/x.tar.gz"',
    },
    { property: 'artifacts["stt"].installDir', reason: 'must be an absolute path below /, got "opt/stt"' },
    {
      property: 'artifacts["shared"].installDir',
      reason: 'shares /opt/lyra/apps/qdrant with artifact "qdrant": each artifact needs its own directory',
    },
    { property: 'artifacts["shared"].postInstall', reason: 'must be a shell script, or "" for none' },
    {
      property: 'artifacts["top"].installDir',
      reason: 'must be a version directory inside the artifact\'s own directory, got "/top"',
    },
  ]);
});

test("a HostState refuses bad artifacts before anything is registered", async () => {
  const connection = {
    host: "lyra",
    address: "192.0.2.11",
    port: 22,
    user: "root",
    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBj73L0VaJqdjXeUQymXt9XdRsDn5Ddg/5e05YnW3qOD",
  };
  const items = {
    packages: [],
    directories: {},
    files: {},
    units: {},
    artifacts: {
      qdrant: {
        version: "1.13.0",
        sha256: "x",
        urls: ["http://nas/q.tar.gz"],
        installDir: "/opt/q/1",
        postInstall: "",
      },
    },
  };
  const checked = await hostStateProvider.check(
    {} as never,
    { connection, items: JSON.stringify(items), secretFiles: "{}" } as never,
  );
  assert.deepEqual(checked.failures, [
    {
      property: 'artifacts["qdrant"].sha256',
      reason: 'must be 64 lowercase hex digits (the sha256 of the .tar.gz), got "x"',
    },
  ]);
});

test("a path with a tab, a newline or NUL is refused: the host's batches separate fields with tabs and paths with lines", () => {
  for (const path of ["/etc/lyra/a\tb.conf", "/etc/lyra/a\nb.conf", "/etc/lyra/a\0b.conf"]) {
    const problems = hostStateProblems({
      packages: [],
      directories: {},
      files: { [path]: { content: "a", ...meta } },
      secretFiles: {},
      units: {},
    });
    assert.deepEqual(problems, [
      { property: `files[${JSON.stringify(path)}]`, reason: "must not contain NUL, newline or tab characters" },
    ]);
  }
});
