/**
 * The lab's stand-in for the Docker provider: the exact arguments the program gives
 * `docker.Container` (src/fleet/container-args.ts) as a `docker run` command line, so the lab runs
 * the container from the program's own spec on a real engine (the provider plugin cannot run here).
 */
import type { ContainerResourceArgs } from "../../src/fleet/container-args";
import { shellQuote } from "../../src/host/transport/shell";

type Args = ContainerResourceArgs<string>;

/** Every field the translation knows; a field added to the program's args must be added here too. */
const translated = new Set<keyof Args>([
  "name",
  "image",
  "restart",
  "ports",
  "mounts",
  "healthcheck",
  "labels",
  "envs",
  "command",
  "mustRun",
]);

/**
 * `docker run` has no flag for an exec-form healthcheck (`["CMD", argv...]`): it becomes a shell
 * command that execs exactly that argv, each word quoted, so the same program gets the same words.
 */
function healthFlags(tests: string[]): string[] {
  const [form, ...rest] = tests;
  if (tests.length === 0) return [];
  if (form === "NONE") return ["--no-healthcheck"];
  if (form === "CMD" && rest.length > 0) return ["--health-cmd", `exec ${rest.map(shellQuote).join(" ")}`];
  if (form === "CMD-SHELL" && rest.length === 1) return ["--health-cmd", rest[0]];
  throw new Error(
    `healthcheck.tests: expected ["CMD", ...], ["CMD-SHELL", command] or ["NONE"], got ${JSON.stringify(tests)}`,
  );
}

/** A mount's value for `--mount`, a comma-separated list: commas in a path cannot be written there. */
function mountFlag(m: Args["mounts"][number]): string {
  for (const [field, value] of [
    ["source", m.source],
    ["target", m.target],
  ])
    if (/[,\n]/.test(value)) throw new Error(`mounts: ${field} ${JSON.stringify(value)} has a comma or newline`);
  return [`type=${m.type}`, `source=${m.source}`, `target=${m.target}`, ...(m.readOnly ? ["readonly"] : [])].join(",");
}

/** `docker run -d ...` argv for the container the program would create (no shell involved). */
export function dockerRunArgv(args: Args): string[] {
  const unknown = Object.keys(args).filter((k) => !translated.has(k as keyof Args));
  if (unknown.length > 0) throw new Error(`the lab cannot translate container field(s) ${unknown.join(", ")}`);
  return [
    "run",
    // mustRun: the provider waits until it runs; `run -d` starts it, the caller waits for it.
    "-d",
    "--name",
    args.name,
    "--restart",
    args.restart,
    // The provider publishes on every address unless told an IP; so does `-p` without one.
    ...args.ports.flatMap((p) => ["--publish", `${p.external}:${p.internal}/${p.protocol}`]),
    ...args.mounts.flatMap((m) => ["--mount", mountFlag(m)]),
    ...healthFlags(args.healthcheck.tests),
    ...["--health-interval", args.healthcheck.interval, "--health-timeout", args.healthcheck.timeout],
    ...["--health-retries", String(args.healthcheck.retries)],
    ...args.labels.flatMap((l) => ["--label", `${l.label}=${l.value}`]),
    ...(args.envs ?? []).flatMap((e) => ["--env", e]),
    args.image,
    ...(args.command ?? []),
  ];
}

/** The same as one shell command line, for running on a lab host over SSH. */
export function dockerRunCommand(args: Args): string {
  return ["docker", ...dockerRunArgv(args)].map(shellQuote).join(" ");
}
