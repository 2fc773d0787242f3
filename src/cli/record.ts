/**
 * `npm run record -- --stack <name> --action "..."`: the runbook's incident record. Runs verify
 * (or reads a saved `verify --json`), and writes `entries/YYYY-MM-DD-runbook.md` with the action
 * and the results as metrics: on the docs host over SSH, or into a local docs tree with --docs.
 */
import { closeAllHostConnections } from "../host/transport/ssh";
import type { FleetModel } from "../model/fleet";
import { fileErrorReason, readRegularFile } from "../model/read-file";
import { FleetConfigError, loadStackFile, stackFilePath } from "../model/load";
import { planFleet } from "../render";
import { dayHeader, entryFileName, entrySection } from "../record/entry";
import { writeLocal, writeRemote, type Written } from "../record/write";
import { scrub, summaryLines, toJson, type JsonOutput } from "../verify/format";
import { hostConnection, prepareVerify, SetupError, sshKey } from "../verify/prepare";
import { runChecks } from "../verify/run";
import { watchUntilGreen } from "../verify/watch";
import { commaList, parseArgs, UsageError } from "./args";
import { quietOnClosedPipe, type Io } from "./verify";

const usage = [
  'usage: npm run record -- --stack <name> --action "<what was done>" [--docs <dir>] [--scenario <name>] [--hosts <names>]',
  "         [--results <verify.json>] [--watch] [--deadline <s>] [--stale-after <s>] [--timeout <s>] [--identity <file>]",
  "  --docs <dir>      write into this local docs tree (default: /opt/lyra/docs/docs over SSH on the host serving the docs site)",
  "  --results <file>  the output of `npm run verify -- --json` instead of running verify now",
  "  --watch ...       run verify with --watch first (the entry then has the time to recovery)",
  "  --hosts <names>   systems affected (default: the hosts with a failing check)",
].join("\n");

/** A bound, not a format rule: what reaches it is not verify's output (a stray dump or log). */
const RESULTS_MAX_BYTES = 64 * 1024 * 1024;

/**
 * verify's --json output from a file. A wrong file passed by mistake may be a password file, so no
 * message quotes its content: JSON.parse's own message does ("Unexpected token 'h', "hunter2"...").
 */
function loadResults(file: string): JsonOutput {
  let text: string;
  try {
    text = readRegularFile(file, RESULTS_MAX_BYTES);
  } catch (err) {
    throw new UsageError(
      `--results: cannot read ${file} (${fileErrorReason(err)}); expected the output of \`npm run verify -- --json\``,
    );
  }
  let parsed: Partial<JsonOutput> | null;
  try {
    parsed = JSON.parse(text) as Partial<JsonOutput> | null;
  } catch {
    throw new UsageError(`--results: ${file} is not JSON; expected the output of \`npm run verify -- --json\``);
  }
  if (
    parsed === null ||
    typeof parsed !== "object" ||
    !Array.isArray(parsed.results) ||
    typeof parsed.passed !== "number" ||
    typeof parsed.startedAt !== "string" ||
    !parsed.finishedAt
  ) {
    throw new UsageError(`--results: ${file} is not the output of \`npm run verify -- --json\``);
  }
  return parsed as JsonOutput;
}

function seconds(flag: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${flag} expects a positive number of seconds, got '${value}'`);
  return n;
}

export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  let secrets: string[] = [];
  try {
    const { values, switches } = parseArgs(argv, {
      values: [
        "stack",
        "stack-file",
        "action",
        "docs",
        "scenario",
        "hosts",
        "results",
        "deadline",
        "stale-after",
        "timeout",
        "identity",
      ],
      switches: ["watch", "help"],
    });
    if (switches.has("help")) {
      io.stdout.write(usage + "\n");
      return 0;
    }
    const action = values.action?.trim();
    if (!action) throw new UsageError("--action is required: what was done, in a sentence");
    if (!values.stack && !values["stack-file"]) throw new UsageError("--stack is required");
    if (values.results && (switches.has("watch") || values.deadline))
      throw new UsageError("--results and --watch exclude each other");
    if (values.deadline !== undefined && !switches.has("watch"))
      throw new UsageError("--deadline only applies with --watch");
    const timeoutMs = seconds("timeout", values.timeout, 8)! * 1000;
    const hostsGiven = values.hosts === undefined ? undefined : commaList("hosts", values.hosts);
    // Checked as soon as the fleet is known, before verify runs (a --watch can take minutes).
    const affected = (fleet: FleetModel): string[] | undefined => {
      for (const h of hostsGiven ?? [])
        if (!fleet.hosts.some((x) => x.name === h))
          throw new UsageError(`--hosts: no host named '${h}' in ${fleet.source}`);
      return hostsGiven;
    };
    let hosts: string[] | undefined;

    let verify: JsonOutput;
    let stack: string;
    let fleet: FleetModel;
    if (values.results) {
      const file = values["stack-file"] ?? stackFilePath(values.stack!);
      fleet = loadStackFile(file);
      hosts = affected(fleet);
      verify = loadResults(values.results);
      stack = values.stack ?? verify.stack;
    } else {
      const prepared = prepareVerify({
        stack: values.stack,
        stackFile: values["stack-file"],
        identityFile: values.identity,
        env: io.env,
        options: { timeoutMs, staleAfterSeconds: seconds("stale-after", values["stale-after"]) },
      });
      secrets = prepared.secrets;
      ({ stack, fleet } = prepared);
      hosts = affected(fleet);
      io.stdout.write(
        `record: running verify (${prepared.checks.length} checks)${switches.has("watch") ? " until every check passes" : ""}\n`,
      );
      const run = () => runChecks(prepared.checks, prepared.setup);
      if (switches.has("watch")) {
        const watch = await watchUntilGreen(run, {
          deadlineMs: seconds("deadline", values.deadline, 300)! * 1000,
          intervalMs: 2000,
        });
        verify = toJson(stack, fleet, prepared.checks, watch.final, watch);
        io.stdout.write(scrub(summaryLines(watch.final, { color: false }, watch).join("\n") + "\n", secrets));
      } else {
        const report = await run();
        verify = toJson(stack, fleet, prepared.checks, report);
        io.stdout.write(scrub(summaryLines(report, { color: false }).join("\n") + "\n", secrets));
      }
    }

    const now = new Date();
    const tz = fleet.site.timezone;
    const section = scrub(
      entrySection({ stack, timezone: tz, action, scenario: values.scenario, hosts, verify, now }),
      secrets,
    );
    const header = dayHeader(now, tz);
    const fileName = entryFileName(now, tz);
    let written: Written;
    if (values.docs) {
      written = writeLocal(values.docs, fileName, header, section);
    } else {
      // The host whose plan serves the docs site (the mkdocs module declares it).
      const docsHost = planFleet(fleet).find((p) => p.docsSite.length > 0);
      if (!docsHost) throw new UsageError(`no host serves the docs site in ${fleet.source}; pass --docs <dir>`);
      const { key } = sshKey(stack, { identityFile: values.identity }, io.env);
      if (key) secrets.push(key);
      written = await writeRemote(hostConnection(fleet, docsHost.host, key, timeoutMs), fileName, header, section);
    }
    io.stdout.write(`record: ${written.appended ? "appended a section to" : "wrote"} ${written.where}\n`);
    return 0;
  } catch (err) {
    const message = scrub((err as Error).message, secrets);
    if (err instanceof UsageError)
      io.stderr.write(`record: ${message}\n(${usage.split("\n")[0]}; --help lists every option)\n`);
    else if (err instanceof FleetConfigError) io.stderr.write(`${message}\n`);
    else io.stderr.write(`record: ${message}\n`);
    return err instanceof UsageError || err instanceof FleetConfigError || err instanceof SetupError ? 2 : 1;
  } finally {
    await closeAllHostConnections();
  }
}

if (require.main === module) {
  quietOnClosedPipe();
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
