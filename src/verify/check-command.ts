/** kind "command": over SSH, the plan's shell command on the host (clock sync, UPS, GPU); exit 0 passes. */
import { onHost, lastLine, type CheckImpl } from "./context";

export const commandCheck: CheckImpl<"command"> = async (check, vc, ctx) => {
  const result = await onHost(ctx, vc.host, check.command, check.name);
  if (result.exitCode === 0) return { ok: true, detail: "exit 0" };
  const why = lastLine(result.stderr) || lastLine(result.stdout);
  return { ok: false, detail: why ? `exit ${result.exitCode}: ${why}` : `exit ${result.exitCode}` };
};
