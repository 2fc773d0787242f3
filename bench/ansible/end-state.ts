/**
 * Whether a host holds what the render declares, whichever tool converged it: every file's
 * sha256, mode and owner, every package installed, every unit enabled and running as declared;
 * and whether its broker works (authenticated clients only, and the ACL applied). One SSH command
 * each, outside what the bench counts.
 */
import type { Manifest } from "../../src/cli/render-tree";
import type { Lab } from "../../test/lab/lab";

type ManifestHost = Manifest["hosts"][number];

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Every difference between the host and the manifest, as sentences; none when it matches. */
export async function endStateDifferences(lab: Lab, host: ManifestHost): Promise<string[]> {
  const script = [
    ...host.files.map(
      (f) =>
        `if [ -f ${quote(f.path)} ]; then echo "file ${f.path} $(sha256sum < ${quote(f.path)} | cut -d' ' -f1) ` +
        `$(stat -c '%a %U %G' ${quote(f.path)})"; else echo "file ${f.path} missing"; fi`,
    ),
    ...host.packages.map(
      (p) => `echo "package ${p} $(dpkg-query -W -f='\${db:Status-Abbrev}' ${quote(p)} 2>/dev/null)"`,
    ),
    ...host.units.map(
      (u) => `echo "unit ${u.name} $(systemctl is-enabled ${u.name} 2>/dev/null) $(systemctl is-active ${u.name})"`,
    ),
  ].join("\n");
  const run = await lab.sshExec(host.host, "sh -s", { input: script });
  if (run.code !== 0) return [`reading ${host.host} failed (exit ${run.code}): ${run.stderr.trim()}`];
  const seen = new Map(
    run.stdout
      .trim()
      .split("\n")
      .map((line) => {
        const [kind, name, ...rest] = line.trim().split(/\s+/);
        return [`${kind} ${name}`, rest] as const;
      }),
  );
  const problems: string[] = [];
  for (const f of host.files) {
    const [sha, mode, owner, group] = seen.get(`file ${f.path}`) ?? [];
    const want = [f.sha256, f.mode.replace(/^0/, ""), f.owner, f.group];
    if ([sha, mode, owner, group].join(" ") !== want.join(" "))
      problems.push(
        `${f.path}: ${sha === "missing" ? "missing" : `${mode} ${owner}:${group}, content ${sha === f.sha256 ? "same" : "differs"}`}`,
      );
  }
  for (const p of host.packages) {
    const [status] = seen.get(`package ${p}`) ?? [];
    if (status !== "ii") problems.push(`package ${p}: not installed (${status ?? "unknown"})`);
  }
  for (const u of host.units) {
    const [enabled, active] = seen.get(`unit ${u.name}`) ?? [];
    // As lyra-fleet reads it: a static unit's enablement is not ours, active:false leaves it alone.
    const enabledOk =
      ["static", "indirect", "generated", "transient"].includes(enabled) || (enabled === "enabled") === u.enabled;
    if (!enabledOk) problems.push(`${u.name}: is-enabled says ${enabled}, want ${u.enabled ? "enabled" : "disabled"}`);
    if (u.active && active !== "active") problems.push(`${u.name}: is-active says ${active}`);
  }
  return problems;
}

/**
 * The broker, tried as the lab's checks try it, from the host as its monitor user (whose
 * mosquitto_sub/pub options the fleet writes): a publish the ACL allows arrives, one it denies
 * (the monitor may not write presence) does not, and a client without credentials is refused.
 */
export async function brokerProblems(lab: Lab, hostName: string, monitorDir: string): Promise<string[]> {
  const script = `set -u
as_monitor() { XDG_CONFIG_HOME=${quote(monitorDir)} "$@"; }
out=$(mktemp)
# -R: a retained message left on lyra/test (a restored backup holds some) is not this publish.
as_monitor mosquitto_sub -R -t lyra/test -t lyra/presence/peer-check -C 1 -W 15 -v >"$out" &
sub=$!
sleep 1
as_monitor mosquitto_pub -q 1 -t lyra/presence/peer-check -m denied || true
as_monitor mosquitto_pub -q 1 -t lyra/test -m allowed || echo "problem: the monitor's allowed publish failed"
wait $sub || echo "problem: nothing arrived within 15 s"
[ "$(cat "$out")" = "lyra/test allowed" ] || echo "problem: the monitor received '$(cat "$out")', want only 'lyra/test allowed'"
rm -f "$out"
if XDG_CONFIG_HOME=/nonexistent mosquitto_pub -h 127.0.0.1 -p 1883 -t lyra/test -m anonymous 2>/dev/null; then
  echo "problem: a client without credentials was let in"
fi`;
  const run = await lab.sshExec(hostName, "sh -s", { input: script });
  const problems = run.stdout
    .split("\n")
    .filter((l) => l.startsWith("problem: "))
    .map((l) => l.slice("problem: ".length));
  if (run.code !== 0) problems.push(`the check itself failed (exit ${run.code}): ${run.stderr.trim()}`);
  return problems;
}

/** systemd's record of the unit's last start, to tell whether a run restarted it. */
export async function unitStartStamp(lab: Lab, hostName: string, unit: string): Promise<string> {
  const run = await lab.sshExec(hostName, `systemctl show -p ActiveEnterTimestampMonotonic --value ${quote(unit)}`);
  if (run.code !== 0) throw new Error(`reading ${unit} on ${hostName} failed: ${run.stderr.trim()}`);
  return run.stdout.trim();
}
