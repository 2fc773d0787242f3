/** kind "http": GET the service at the host's stack address and compare the status code. */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { reachableUrl } from "./reach";
import type { CheckImpl } from "./context";

const reasons: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "name not found",
  EAI_AGAIN: "name lookup failed",
};

export const httpCheck: CheckImpl<"http"> = (check, vc, ctx, signal) => {
  const url = new URL(reachableUrl(ctx.fleet, vc.host, check.url));
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(
      url,
      // A connection of its own (agent: false), closed after the answer: Node 20's default agent
      // keeps sockets alive between --watch runs, so a later run would ask over a connection
      // opened minutes before, not test that the service still accepts one.
      {
        method: "GET",
        signal,
        agent: false,
        timeout: ctx.options.timeoutMs,
        headers: { "user-agent": "lyra-verify", connection: "close" },
      },
      (res) => {
        res.resume(); // the status is the answer; the body is not needed
        const status = res.statusCode ?? 0;
        resolve({
          ok: status === check.expectStatus,
          detail: status === check.expectStatus ? `${status}` : `${status}, expected ${check.expectStatus}`,
        });
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", (err: Error & { code?: string }) => {
      const where = `${url.hostname}:${url.port || (url.protocol === "https:" ? 443 : 80)}`;
      if (err.code === "ETIMEDOUT")
        return resolve({ ok: false, detail: `no answer within ${ctx.options.timeoutMs / 1000} s from ${where}` });
      resolve({ ok: false, detail: `${reasons[err.code ?? ""] ?? err.message} at ${where}` });
    });
    req.end();
  });
};
