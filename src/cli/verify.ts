/**
 * `npm run verify -- --stack <name>` (also the `lyra-verify` bin): the runbook's verification,
 * live. Runs every check of every host's plan in parallel and exits 0 only when all pass.
 */
import { closeAllHostConnections } from "../host/transport/ssh";
import { FleetConfigError } from "../model/load";
import { reachLine, scrub, summaryLines, table, toJson } from "../verify/format";
import { LiveTable } from "../verify/live";
import { prepareVerify, SetupError, type PreparedVerify } from "../verify/prepare";
import { runChecks } from "../verify/run";
import type { RunReport } from "../verify/types";
import { watchUntilGreen, type WatchReport } from "../verify/watch";
import { commaList, parseArgs, UsageError } from "./args";

const usage = [
  "usage: npm run verify -- --stack <name> [--json] [--watch] [--deadline <s>] [--stale-after <s>]",
  "         [--timeout <s>] [--identity <file>] [--only <kinds>] [--host <names>] [--stack-file <path>]",
  "  --watch          run again every 2 s until every check passes; report the time to recovery",
  "  --deadline <s>   with --watch: give up after this many seconds (default 300)",
  "  --stale-after <s> freshness window of every heartbeat, health and registration check (default: the plan's, 60 s for heartbeats)",
  "  --timeout <s>    deadline of each HTTP, SSH and round-trip check (default 8)",
  "  --identity <file> SSH private key (default: the ssh-private-key secret, else the ssh-agent)",
  "  --only <kinds>   comma-separated: http, unit, container, command, mqtt-roundtrip, mqtt-fresh, mqtt-registered, mqtt, ssh",
  "  --host <names>   comma-separated host names",
  "Secrets: LYRA_SECRET_MQTT_PASSWORD_MONITOR (or the Pulumi CLI's stack config); exit 0 only when every check passes.",
].join("\n");

export interface Io {
  stdout: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

function positiveSeconds(flag: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${flag} expects a positive number of seconds, got '${value}'`);
  return n;
}

async function execute(
  prepared: PreparedVerify,
  io: Io,
  flags: { json: boolean; watch: boolean; deadlineS: number },
): Promise<{ report: RunReport; watch?: WatchReport }> {
  const tty = !flags.json && io.stdout.isTTY === true;
  const live = tty ? new LiveTable(io.stdout as NodeJS.WriteStream, prepared.checks, prepared.secrets) : undefined;
  let run = 0;
  const runOnce = () => {
    run++;
    live?.start(run);
    return runChecks(prepared.checks, prepared.setup, (r, i) => live?.update(r, i)).finally(() => live?.stop());
  };
  if (!flags.watch) return { report: await runOnce() };
  let last: RunReport | undefined;
  const watch = await watchUntilGreen(runOnce, {
    deadlineMs: flags.deadlineS * 1000,
    intervalMs: 2000,
    onRun: (report) => (last = report),
    onWait: (n, nextInMs, deadlineInMs) => {
      if (flags.json || !last) return;
      // Shared causes say it in one phrase; otherwise name the first failing checks and why each
      // failed, so a log that keeps only these lines still says what was wrong.
      const failing = last.results.filter((r) => !r.ok && !r.cause).map((r) => `${r.name}: ${r.detail}`);
      const named = failing.length > 4 ? [...failing.slice(0, 4), `${failing.length - 4} more`] : failing;
      const why = [...last.causes.map((c) => c.message), ...named].join("; ");
      const when = `next run in ${nextInMs / 1000} s, deadline in ${Math.round(deadlineInMs / 1000)} s`;
      io.stdout.write(
        scrub(
          `run ${n}: ${last.passed} passed, ${last.failed} failed${why ? ` (${why})` : ""}; ${when}\n`,
          prepared.secrets,
        ),
      );
    },
  });
  return { report: watch.final, watch };
}

export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  let secrets: string[] = [];
  try {
    const { values, switches } = parseArgs(argv, {
      values: ["stack", "stack-file", "deadline", "stale-after", "timeout", "identity", "only", "host"],
      switches: ["json", "watch", "help"],
    });
    if (switches.has("help")) {
      io.stdout.write(usage + "\n");
      return 0;
    }
    if (!values.stack && !values["stack-file"]) throw new UsageError("--stack is required");
    if (values.deadline !== undefined && !switches.has("watch"))
      throw new UsageError("--deadline only applies with --watch");
    const prepared = prepareVerify({
      stack: values.stack,
      stackFile: values["stack-file"],
      only: commaList("only", values.only),
      hosts: commaList("host", values.host),
      identityFile: values.identity,
      env: io.env,
      options: {
        timeoutMs: positiveSeconds("timeout", values.timeout, 8)! * 1000,
        staleAfterSeconds: positiveSeconds("stale-after", values["stale-after"]),
      },
    });
    secrets = prepared.secrets;
    if (prepared.checks.length === 0)
      throw new UsageError(
        `no check to run in ${prepared.fleet.source}${values.only || values.host ? " with --only/--host" : ""}`,
      );
    const json = switches.has("json");
    const out = (text: string) => io.stdout.write(scrub(text, secrets));
    if (!json) {
      const hosts = new Set(prepared.checks.map((c) => c.host)).size;
      out(
        `verify stack '${prepared.stack}': ${prepared.checks.length} checks on ${hosts} hosts${prepared.sshAuth ? `, SSH with ${prepared.sshAuth}` : ""}\n`,
      );
      const reach = reachLine(prepared.fleet);
      if (reach) out(`${reach}\n`);
    }
    const { report, watch } = await execute(prepared, io, {
      json,
      watch: switches.has("watch"),
      deadlineS: positiveSeconds("deadline", values.deadline, 300)!,
    });
    if (json) {
      out(JSON.stringify(toJson(prepared.stack, prepared.fleet, prepared.checks, report, watch), null, 2) + "\n");
    } else {
      const style = { color: io.stdout.isTTY === true };
      out([...table(prepared.checks, report.results, style), ...summaryLines(report, style, watch)].join("\n") + "\n");
    }
    return report.failed === 0 ? 0 : 1;
  } catch (err) {
    // Known errors are complete sentences; a stack trace would only hide them.
    const message = scrub((err as Error).message, secrets);
    if (err instanceof UsageError)
      io.stderr.write(`verify: ${message}\n(${usage.split("\n")[0]}; --help lists every option)\n`);
    else if (err instanceof FleetConfigError) io.stderr.write(`${message}\n`);
    else io.stderr.write(`verify: ${message}\n`);
    return err instanceof UsageError || err instanceof FleetConfigError || err instanceof SetupError ? 2 : 1;
  } finally {
    await closeAllHostConnections();
  }
}

/** A reader that went away (`| head`) is not an error worth a stack trace. */
export function quietOnClosedPipe(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

if (require.main === module) {
  quietOnClosedPipe();
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
