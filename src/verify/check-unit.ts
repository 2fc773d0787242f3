/** kind "unit": over SSH, `systemctl is-active` on the host; only "active" passes. */
import { onHost, lastLine, type CheckImpl } from "./context";

export const unitCheck: CheckImpl<"unit"> = async (check, vc, ctx) => {
  // is-active exits non-zero for any state but active; the state it prints is the useful part.
  const result = await onHost(ctx, vc.host, 'systemctl is-active "$1"', `systemctl is-active ${check.unit}`, [check.unit]);
  const state = lastLine(result.stdout) || lastLine(result.stderr) || `exit ${result.exitCode}`;
  return { ok: result.exitCode === 0 && state === "active", detail: state };
};
