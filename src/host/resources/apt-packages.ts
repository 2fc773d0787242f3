/**
 * Debian packages a fleet host must have, read back through dpkg-query on every refresh.
 */
import { EntryResource, providerEntryText } from "./provider-entry";
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { describeHost, HostConnection } from "../transport/connection";
import { countHostEvent } from "../transport/counters";
import { hostError } from "../transport/errors";
import {
  connectionCheckFailures,
  connectionDiff,
  containsUnknown,
  hostDiff,
  HostDiffResult,
  listInWords,
  storedConnection,
} from "./provider-support";
import {
  connectionInput,
  HOST_RESOURCE_MODULE,
  HostConnectionInputs,
  plainValue,
  throwIfProblems,
} from "./resource-support";
import { runRemote, runRemoteChecked } from "../transport/ssh";
import { describeProblems, Problem } from "./validation";

/** What the provider receives. */
export interface AptPackagesInputs {
  connection: HostConnection;
  /** "tree" or "tree=2.1.0-1" (apt-get's own syntax), sorted and unique. */
  packages: string[];
  /** Deadline for apt-get (update and install together). */
  timeoutSeconds: number;
  /**
   * An HTTP proxy for every apt-get run (`http://nas.home.arpa:3142`, a package cache), given on
   * its command line: it works on a re-flashed host before any apt.conf file names it.
   */
  proxy?: string;
}

/** What state holds: the requested packages and the versions the host really has of them. */
export interface AptPackagesOutputs extends AptPackagesInputs {
  /** Installed version of each requested package that is installed; missing ones are absent. */
  installed: Record<string, string>;
}

/** What apt.conf and the shell take as they are: http, a host name or address, an optional port. */
const APT_PROXY = /^http:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/;

const PACKAGE_SPEC = /^([a-z0-9][a-z0-9+.-]+)(:[a-z0-9]+)?(=[A-Za-z0-9.+~:-]+)?$/;

/** Problems with an AptPackages' inputs (unknown values are skipped). */
export function aptPackagesProblems(inputs: Partial<Record<keyof AptPackagesInputs, unknown>>): Problem[] {
  const problems: Problem[] = [];
  const { packages, timeoutSeconds, proxy } = inputs;
  if (packages !== undefined && !containsUnknown(packages)) {
    if (!Array.isArray(packages) || packages.length === 0) {
      problems.push({ property: "packages", reason: "must be a non-empty list of Debian package names" });
    } else {
      for (const spec of packages) {
        if (typeof spec !== "string" || !PACKAGE_SPEC.test(spec)) {
          problems.push({
            property: "packages",
            reason: `has ${JSON.stringify(spec)}, expected "name" or "name=version"`,
          });
        }
      }
    }
  }
  if (proxy !== undefined && !containsUnknown(proxy) && !(typeof proxy === "string" && APT_PROXY.test(proxy))) {
    problems.push({
      property: "proxy",
      reason: `must be an http:// URL of a host and an optional port, e.g. "http://nas.home.arpa:3142", got ${JSON.stringify(proxy)}`,
    });
  }
  if (
    timeoutSeconds !== undefined &&
    !containsUnknown(timeoutSeconds) &&
    !(Number.isInteger(timeoutSeconds) && (timeoutSeconds as number) > 0)
  ) {
    problems.push({
      property: "timeoutSeconds",
      reason: `must be a positive whole number of seconds, got ${JSON.stringify(timeoutSeconds)}`,
    });
  }
  return problems;
}

/** Default for {@link AptPackagesArgs.timeoutSeconds}. */
export const DEFAULT_APT_TIMEOUT_SECONDS = 600;

function withDefaults(inputs: AptPackagesInputs): AptPackagesInputs {
  return {
    ...inputs,
    packages: containsUnknown(inputs.packages) ? inputs.packages : [...new Set(inputs.packages)].sort(),
    timeoutSeconds: inputs.timeoutSeconds ?? DEFAULT_APT_TIMEOUT_SECONDS,
  };
}

/** "tree=2.1.0-1" -> name "tree", version "2.1.0-1"; an architecture qualifier stays in the name. */
function parseSpec(spec: string): { name: string; version?: string } {
  const equals = spec.indexOf("=");
  return equals < 0 ? { name: spec } : { name: spec.slice(0, equals), version: spec.slice(equals + 1) };
}

/** Specs that the installed versions do not satisfy. */
export function unsatisfied(packages: readonly string[], installed: Record<string, string>): string[] {
  return packages.filter((spec) => {
    const { name, version } = parseSpec(spec);
    return installed[name] === undefined || (version !== undefined && installed[name] !== version);
  });
}

/** The dpkg-query command listing the packages given as its arguments (tab-separated, one per line). */
export const DPKG_QUERY =
  // Unknown names make dpkg-query exit 1; the listing of the others is still right.
  `dpkg-query -W -f='\${binary:Package}\\t\${Version}\\t\${db:Status-Abbrev}\\n' -- "$@" 2>/dev/null || true`;

/** The names of package specs ("tree=2.1.0-1" -> "tree"). */
export const packageNames = (packages: readonly string[]) => packages.map((spec) => parseSpec(spec).name);

/** Installed versions (fully installed packages only) of `names`, from {@link DPKG_QUERY}'s output. */
export function parseInstalled(stdout: string, names: readonly string[]): Record<string, string> {
  const installed: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const [pkg, version, status] = line.split("\t");
    if (!pkg || !status?.startsWith("ii")) continue;
    installed[pkg] = version;
    installed[pkg.replace(/:[a-z0-9]+$/, "")] = version; // "tree:amd64" answers for "tree" too
  }
  return Object.fromEntries(
    names.filter((name) => installed[name] !== undefined).map((name) => [name, installed[name]]),
  );
}

/** Installed versions of the named packages (fully installed ones only). One command, no write. */
async function readInstalled(connection: HostConnection, packages: readonly string[]): Promise<Record<string, string>> {
  const names = packageNames(packages);
  const stdout = await runRemoteChecked(connection, DPKG_QUERY, {
    purpose: `read packages ${names.join(" ")}`,
    args: names,
  });
  return parseInstalled(stdout, names);
}

/**
 * What state holds for packages whose installed versions were read; undefined when none of them
 * is installed (a re-flashed host): absent, so `pulumi up` shows them being created.
 */
export function observedPackages(
  props: AptPackagesOutputs,
  installed: Record<string, string>,
): AptPackagesOutputs | undefined {
  return Object.keys(installed).length === 0 ? undefined : { ...props, installed };
}

/**
 * How long one `apt-get update` may run before it is stopped and tried once more: a fifth of the
 * whole apt deadline (two minutes of the default ten), at least 10 s.
 */
export const updateWatchdogSeconds = (timeoutSeconds: number) => Math.max(10, Math.floor(timeoutSeconds / 5));

/**
 * apt-get install without recommends, non-interactive, keeping existing config files. `apt-get
 * update` runs only when the host has no package lists yet, or when the install failed (a stale
 * list naming versions the mirror no longer has). The arguments are the proxy ("" for none), given
 * to every apt-get run, the update watchdog in seconds, then the packages.
 *
 * apt-cacher-ng 3.7 (Debian bookworm's) fails the refresh of an index file that two clients ask
 * for in the same second ("Failure to move file ... out of the way": it names the old copy by the
 * second) and answers the client it failed "503 Error in cache data" (its log: 742 bytes). apt 2.6
 * then retries that InRelease after a delay (Acquire::Retries::Delay), and in `apt-get update` that
 * retry never comes: apt-get and its idle methods wait for each other until something stops them
 * (seen in the lab with 5 and 20 re-flashed mirrors, and reproduced on one with a stand-in cache
 * giving one 503: hung until stopped at 90 s; with the delay off the retry came at once and the
 * update took 7 s). So updates retry without the delay. Each `apt-get update` still runs under
 * `timeout` (coreutils, essential on Debian), which stops its whole process group, methods
 * included, for any other hang; a failed or stopped update is tried once more, after a random pause
 * of 2 to 15 s, so that hosts whose updates were stopped together do not all ask again in the same
 * second. The install itself has no watchdog but the deadline of the whole command: stopping dpkg
 * half way would leave packages half configured (its downloads' delayed retries do come: measured).
 */
export const INSTALL_SCRIPT = `export DEBIAN_FRONTEND=noninteractive
proxy=$1; update_seconds=$2; shift 2
# Every apt-get through the proxy: \${proxy:+...} is no word at all without one.
apt_get() {
  apt-get \${proxy:+-o "Acquire::http::Proxy=$proxy"} "$@"
}
update() {
  for attempt in 1 2; do
    # timeout runs a program, not a shell function: apt_get's proxy option is spelled out again.
    timeout -k 10 "$update_seconds" apt-get \${proxy:+-o "Acquire::http::Proxy=$proxy"} \\
      -o Acquire::Retries::Delay=false update -q
    status=$?
    [ "$status" -eq 0 ] && return 0
    case $status in
      124|137) why="did not finish within $update_seconds s and was stopped" ;;
      *) why="failed (exit code $status)" ;;
    esac
    if [ "$attempt" -eq 2 ]; then
      echo "lyra-fleet: apt-get update $why; giving up" >&2
      return 5
    fi
    # 2.0 to 15.0 s, in tenths, from two random bytes.
    tenths=$(( 20 + $(od -An -N2 -tu2 /dev/urandom) % 131 ))
    pause="$((tenths / 10)).$((tenths % 10))"
    echo "lyra-fleet: apt-get update $why; trying once more in $pause s" >&2
    sleep "$pause"
  done
}
install() {
  apt_get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 \\
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- "$@"
}
if ! ls /var/lib/apt/lists/ 2>/dev/null | grep -q '_Packages'; then update || exit 5; fi
if ! install "$@"; then
  echo "lyra-fleet: install failed; refreshing the package lists and trying once more" >&2
  update || exit 5
  install "$@"
fi`;

async function converge(rawInputs: AptPackagesInputs): Promise<AptPackagesOutputs> {
  const inputs = withDefaults(rawInputs);
  const { connection, packages } = inputs;
  let installed = await readInstalled(connection, packages);
  const missing = unsatisfied(packages, installed);
  if (missing.length > 0) {
    countHostEvent(connection.host, "aptInstalls");
    const result = await runRemote(connection, INSTALL_SCRIPT, {
      purpose: `apt-get install ${missing.join(" ")}${inputs.proxy ? ` through ${inputs.proxy}` : ""}`,
      args: [inputs.proxy ?? "", String(updateWatchdogSeconds(inputs.timeoutSeconds)), ...missing],
      writes: true,
      timeoutMs: inputs.timeoutSeconds * 1000,
    });
    installed = await readInstalled(connection, packages);
    const stillMissing = unsatisfied(packages, installed);
    if (result.exitCode !== 0 || stillMissing.length > 0) {
      const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-8).join("\n");
      throw hostError(
        connection.host,
        "command",
        `${describeHost(connection)}: apt-get could not install ${listInWords(stillMissing.length ? stillMissing : missing)}` +
          `${inputs.proxy ? ` through ${inputs.proxy}` : ""} ` +
          `(exit code ${result.exitCode}): ${tail}`,
      );
    }
  }
  return { ...inputs, installed };
}

/** The AptPackages provider. Exported for tests, which drive it the way the engine does. */
export const aptPackagesProvider = {
  async check(_olds: AptPackagesInputs, news: AptPackagesInputs): Promise<dynamic.CheckResult<AptPackagesInputs>> {
    const failures = [...connectionCheckFailures(news.connection), ...aptPackagesProblems(news)];
    return { inputs: failures.length ? news : withDefaults(news), failures };
  },

  async diff(_id: string, olds: AptPackagesOutputs, rawNews: AptPackagesInputs): Promise<HostDiffResult> {
    const news = withDefaults(rawNews);
    const { replaces, differing } = connectionDiff(olds.connection, news.connection);
    if (
      containsUnknown(news.packages) ||
      JSON.stringify(news.packages) !== JSON.stringify(olds.packages) ||
      unsatisfied(news.packages, olds.installed ?? {}).length > 0
    ) {
      differing.push("packages");
    }
    if (news.timeoutSeconds !== olds.timeoutSeconds) differing.push("timeoutSeconds");
    return hostDiff(replaces, differing);
  },

  async create(inputs: AptPackagesInputs): Promise<dynamic.CreateResult<AptPackagesOutputs>> {
    return {
      id: `${inputs.connection.host}:apt:${withDefaults(inputs).packages.join(",")}`,
      outs: await converge(inputs),
    };
  },

  async read(id: string, props: AptPackagesOutputs): Promise<dynamic.ReadResult<AptPackagesOutputs>> {
    const connection = storedConnection("AptPackages", id, props);
    const observed = observedPackages(props, await readInstalled(connection, props.packages));
    return observed ? { id, props: observed } : { id: "", props: {} as AptPackagesOutputs };
  },

  async update(
    _id: string,
    _olds: AptPackagesOutputs,
    news: AptPackagesInputs,
  ): Promise<dynamic.UpdateResult<AptPackagesOutputs>> {
    return { outs: await converge(news) };
  },

  /**
   * Removes nothing. Packages are shared: the same package often serves several services and
   * the operator's own tools, and a package that moves between plans would be purged and
   * reinstalled on the way. Removing software is left to the operator (`apt-get remove`).
   */
  async delete(): Promise<void> {},
};

/** Arguments of {@link AptPackages}. */
export interface AptPackagesArgs {
  /** How to reach the host. */
  connection: pulumi.Input<HostConnectionInputs>;
  /** Debian packages: "tree", or "tree=2.1.0-1" to pin a version. */
  packages: pulumi.Input<pulumi.Input<string>[]>;
  /** Deadline for apt-get, in seconds. Default 600. */
  timeoutSeconds?: pulumi.Input<number>;
}

/** What each resource carries as its provider: a loader of aptPackagesProvider (see ./provider-entry.ts). */
export const aptPackagesEntry = providerEntryText(
  "src/host/resources/apt-packages",
  "aptPackagesProvider",
  aptPackagesProvider,
);

/**
 * Debian packages installed on a host (`pulumi-nodejs:dynamic/lyra-host:AptPackages`). Installs
 * only what is missing; deleting the resource removes nothing (see the provider's delete).
 */
export class AptPackages extends EntryResource {
  /** The connection used (secret when it holds a private key). */
  declare readonly connection: pulumi.Output<HostConnection>;
  /** The requested packages, sorted. */
  declare readonly packages: pulumi.Output<string[]>;
  /** Installed version of each requested package (after a refresh: what the host has). */
  declare readonly installed: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: AptPackagesArgs, opts: pulumi.CustomResourceOptions = {}) {
    const packages = plainValue(args.packages);
    throwIfProblems(
      "AptPackages",
      name,
      describeProblems(
        aptPackagesProblems({
          packages: packages?.every((p) => typeof p === "string") ? packages : undefined,
          timeoutSeconds: plainValue(args.timeoutSeconds),
        }),
      ),
    );
    super(
      aptPackagesEntry,
      name,
      {
        connection: connectionInput(args.connection),
        packages: args.packages,
        timeoutSeconds: args.timeoutSeconds ?? DEFAULT_APT_TIMEOUT_SECONDS,
        installed: undefined,
      },
      opts,
      HOST_RESOURCE_MODULE,
      "AptPackages",
    );
  }
}
