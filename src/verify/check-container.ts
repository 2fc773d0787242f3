/**
 * kind "container": over SSH, `docker inspect` on the host. Passes when the container runs and its
 * healthcheck (when it has one) says healthy: "running" alone would pass a broker that refuses logins.
 */
import { onHost, lastLine, type CheckImpl } from "./context";

const inspect = `docker inspect -f '{{.State.Status}}{{if .State.Health}} {{.State.Health.Status}}{{end}}' "$1"`;

export const containerCheck: CheckImpl<"container"> = async (check, vc, ctx) => {
  const result = await onHost(ctx, vc.host, inspect, `docker inspect ${check.container}`, [check.container]);
  if (result.exitCode !== 0) return { ok: false, detail: lastLine(result.stderr) || `docker inspect exited ${result.exitCode}` };
  const [status, health] = result.stdout.trim().split(/\s+/);
  const ok = status === "running" && (health === undefined || health === "healthy");
  return { ok, detail: health ? `${status}, ${health}` : status };
};
