// The lab's qdrant stand-in (test/fixtures/standins/qdrant-standin.py), run by Debian's python3 as
// the lab hosts run it: the subset of qdrant's HTTP API the fleet uses, kept on disk under the
// rendered config's storage_path, snapshots and `--snapshot FILE:COLLECTION` recovery.
import { after, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { qdrantConfig } from "../../src/services/qdrant/render";
import type { QdrantOptions } from "../../src/services/qdrant/options";
import { freePort } from "../support/free-port";

const standin = join(__dirname, "..", "fixtures", "standins", "qdrant-standin.py");
const work = mkdtempSync(join(tmpdir(), "qdrant-standin-"));
const running = new Set<ChildProcess>();

after(() => {
  for (const child of running) child.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
});

interface Server {
  url: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Writes the fleet's own qdrant config for a fresh port and starts the stand-in on it. */
async function start(name: string, extraArgs: string[] = []): Promise<Server> {
  const port = await freePort();
  const dir = join(work, name);
  const config = join(work, `${name}-${port}.yaml`);
  writeFileSync(
    config,
    qdrantConfig({
      storagePath: join(dir, "storage"),
      snapshotsPath: join(dir, "snapshots"),
      port,
      grpcPort: 6334,
    } as QdrantOptions),
  );
  const child = spawn("/usr/bin/python3", [standin, "--config-path", config, ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (output += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (output += s));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) assert.fail(`the stand-in exited (${child.exitCode}):\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) assert.fail(`the stand-in did not answer /readyz within 10 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    output: () => output,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      running.delete(child);
    },
  };
}

async function call(server: Server, method: string, path: string, body?: unknown) {
  const response = await fetch(server.url + path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text.startsWith("{") ? JSON.parse(text) : undefined, text };
}

const point = { id: 7, vector: [0.25, 0.5, 0.75], payload: { room: "kitchen" } };

describe("the qdrant stand-in", { timeout: 60_000 }, () => {
  test("answers qdrant's health endpoints", async () => {
    const server = await start("health");
    try {
      assert.equal((await call(server, "GET", "/healthz")).text, "healthz check passed");
      assert.equal((await call(server, "GET", "/readyz")).text, "all shards are ready");
      assert.equal((await call(server, "GET", "/livez")).status, 200);
    } finally {
      await server.stop();
    }
  });

  test("keeps collections and points on disk across a restart, with qdrant's response shapes", async () => {
    let server = await start("persist");
    try {
      const created = await call(server, "PUT", "/collections/memories", { vectors: { size: 3, distance: "Cosine" } });
      assert.equal(created.status, 200);
      assert.equal(created.json.result, true);
      assert.equal(created.json.status, "ok");
      assert.equal(typeof created.json.time, "number");
      const again = await call(server, "PUT", "/collections/memories", {});
      assert.equal(again.status, 409);
      assert.match(again.json.status.error, /already exists/);
      const upsert = await call(server, "PUT", "/collections/memories/points?wait=true", { points: [point] });
      assert.equal(upsert.status, 200);
      assert.equal(upsert.json.result.status, "completed");
    } finally {
      await server.stop();
    }
    server = await start("persist");
    try {
      const list = await call(server, "GET", "/collections");
      assert.deepEqual(list.json.result, { collections: [{ name: "memories" }] });
      const got = await call(server, "GET", "/collections/memories/points/7");
      assert.deepEqual(got.json.result, point);
      const info = await call(server, "GET", "/collections/memories");
      assert.equal(info.json.result.points_count, 1);
      assert.equal((await call(server, "GET", "/collections/memories/points/8")).status, 404);
      assert.equal((await call(server, "GET", "/collections/nothing/points/7")).status, 404);
      assert.ok(existsSync(join(work, "persist", "storage", "collections", "memories", "points.json")));
    } finally {
      await server.stop();
    }
  });

  test("rejects a body that is not JSON or has no points list with a 400", async () => {
    const server = await start("bad-input");
    try {
      await call(server, "PUT", "/collections/c", {});
      const response = await fetch(`${server.url}/collections/c/points`, { method: "PUT", body: "{not json" });
      assert.equal(response.status, 400);
      assert.equal((await call(server, "PUT", "/collections/c/points", { points: [{ vector: [1] }] })).status, 400);
    } finally {
      await server.stop();
    }
  });

  test("a snapshot recovers the collection on an empty server, and leaves an existing one alone", async () => {
    const source = await start("snap-source");
    let snapshotFile: string;
    try {
      await call(source, "PUT", "/collections/memories", {});
      await call(source, "PUT", "/collections/memories/points", { points: [point] });
      const made = await call(source, "POST", "/collections/memories/snapshots");
      assert.equal(made.status, 200);
      const name: string = made.json.result.name;
      assert.match(name, /^memories-.*\.snapshot$/);
      snapshotFile = join(work, "snap-source", "snapshots", "memories", name);
      assert.deepEqual(readdirSync(join(work, "snap-source", "snapshots", "memories")), [name]);
      const listed = await call(source, "GET", "/collections/memories/snapshots");
      assert.deepEqual(
        listed.json.result.map((s: { name: string }) => s.name),
        [name],
      );
      // A newer snapshot sorts after the older one (a restore takes the last name); DELETE removes one.
      const newer = await call(source, "POST", "/collections/memories/snapshots?wait=true");
      const names = readdirSync(join(work, "snap-source", "snapshots", "memories")).sort();
      assert.deepEqual(names, [name, newer.json.result.name]);
      const deleted = await call(
        source,
        "DELETE",
        `/collections/memories/snapshots/${newer.json.result.name}?wait=true`,
      );
      assert.equal(deleted.json.result, true);
      assert.equal(
        (await call(source, "DELETE", `/collections/memories/snapshots/${newer.json.result.name}`)).status,
        404,
      );
      assert.deepEqual(readdirSync(join(work, "snap-source", "snapshots", "memories")), [name]);
      // Changed after the snapshot: the recovered copy must not have it.
      await call(source, "PUT", "/collections/memories/points", { points: [{ ...point, id: 8 }] });
    } finally {
      await source.stop();
    }

    const restored = await start("snap-target", ["--snapshot", `${snapshotFile}:memories`]);
    try {
      assert.deepEqual((await call(restored, "GET", "/collections/memories/points/7")).json.result, point);
      assert.equal((await call(restored, "GET", "/collections/memories/points/8")).status, 404);
      assert.match(restored.output(), /recovered collection memories/);
    } finally {
      await restored.stop();
    }

    // snap-source's collection now has point 8: starting it with the old snapshot keeps it.
    const existing = await start("snap-source", ["--snapshot", `${snapshotFile}:memories`]);
    try {
      assert.equal((await call(existing, "GET", "/collections/memories/points/8")).status, 200);
      assert.match(existing.output(), /exists: snapshot .* not recovered/);
    } finally {
      await existing.stop();
    }
  });

  test("--version names the release it is installed as, as the recovery page's command expects", () => {
    // Installed as the fleet installs it: /opt/lyra/apps/qdrant/<version>/qdrant.
    const dir = join(work, "apps", "qdrant", "1.12.4");
    mkdirSync(dir, { recursive: true });
    copyFileSync(standin, join(dir, "qdrant"));
    assert.equal(
      execFileSync("/usr/bin/python3", [join(dir, "qdrant"), "--version"], { encoding: "utf8" }),
      "qdrant 1.12.4\n",
    );
  });

  test("refuses to start on a missing snapshot file, naming it", async () => {
    await assert.rejects(
      start("missing-snap", ["--snapshot", `${join(work, "nope.snapshot")}:memories`]),
      /nope\.snapshot/,
    );
  });
});
