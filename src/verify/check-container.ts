/**
 * kind "container": over SSH, `docker inspect` on the host. Passes only when the container runs and
 * its healthcheck says healthy: "running" alone would pass a broker that refuses logins, "starting"
 * is a healthcheck that has not passed yet, and a container without a healthcheck cannot say.
 */
import { onHost, lastLine, type CheckImpl } from "./context";

const inspect = `docker inspect -f '{{.State.Status}}{{if .State.Health}} {{.State.Health.Status}}{{end}}' "$1"`;

/** Verdict from `docker inspect`'s "<status>[ <health>]" line. */
export function containerVerdict(line: string): { ok: boolean; detail: string } {
  const [status, health] = line.trim().split(/\s+/);
  if (status !== "running") return { ok: false, detail: health ? `${status}, ${health}` : status || "no state" };
  if (health === undefined) return { ok: false, detail: "running, no healthcheck: cannot tell whether it works" };
  if (health === "starting") return { ok: false, detail: "running, starting: its healthcheck has not passed yet" };
  return { ok: health === "healthy", detail: `running, ${health}` };
}

export const containerCheck: CheckImpl<"container"> = async (check, vc, ctx) => {
  const result = await onHost(ctx, vc.host, inspect, `docker inspect ${check.container}`, [check.container]);
  if (result.exitCode !== 0)
    return { ok: false, detail: lastLine(result.stderr) || `docker inspect exited ${result.exitCode}` };
  return containerVerdict(result.stdout);
};
