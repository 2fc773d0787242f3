/**
 * The http check against a real local server: each check asks over a connection of its own, so a
 * --watch run proves the service still accepts one; a status other than the expected one and a
 * server that never answers are named as such.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { FleetModel } from "../../../src/model/fleet";
import { httpCheck } from "../../../src/verify/check-http";
import type { RunContext } from "../../../src/verify/context";
import type { VerifyCheck } from "../../../src/verify/types";

let server: Server;
let port: number;
let connections = 0;
let status = 200;

before(async () => {
  // keepAliveTimeout far beyond the test: only the client can end a connection early.
  server = createServer((_req, res) => res.writeHead(status).end("ok\n"));
  server.keepAliveTimeout = 60_000;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

// No fleet host: the URL is reached as written.
const ctx = { fleet: { hosts: [] } as unknown as FleetModel, options: { timeoutMs: 1000 } } as RunContext;

function check(path = "/metrics"): Parameters<typeof httpCheck> {
  const http = {
    kind: "http" as const,
    name: "local: metrics",
    url: `http://127.0.0.1:${port}${path}`,
    expectStatus: 200,
  };
  const vc = { host: "local", name: http.name, check: http } as unknown as VerifyCheck;
  return [http, vc, ctx, new AbortController().signal];
}

test("every check opens a connection of its own: none is kept alive for the next", async () => {
  const before = connections;
  for (let i = 0; i < 3; i++) assert.deepEqual(await httpCheck(...check()), { ok: true, detail: "200" });
  assert.equal(connections - before, 3, "three checks, three connections: none reused");
});

test("a status other than the expected one fails, naming both", async () => {
  status = 503;
  try {
    assert.deepEqual(await httpCheck(...check()), { ok: false, detail: "503, expected 200" });
  } finally {
    status = 200;
  }
});

test("a server that accepts but never answers fails within the timeout, naming the address", async () => {
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const silentPort = (silent.address() as AddressInfo).port;
  try {
    const [http, vc, context, signal] = check();
    const outcome = await httpCheck({ ...http, url: `http://127.0.0.1:${silentPort}/` }, vc, context, signal);
    assert.deepEqual(outcome, { ok: false, detail: `no answer within 1 s from 127.0.0.1:${silentPort}` });
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
});
