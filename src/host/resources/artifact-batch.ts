/**
 * Installing a host's artifacts in one remote command: for each, its URLs tried in order with
 * curl, the download checked against the pinned sha256 before anything is extracted, a fresh
 * install directory, postInstall, the marker written last, `current` pointed at it, and the other
 * versions removed except the one `current` pointed at before (one step of rollback kept on disk).
 * The first failure stops the batch and says which artifact and why; nothing half-installed
 * carries a marker (a failed install removes its directory).
 */
import { describeHost, type HostConnection } from "../transport/connection";
import { hostError } from "../transport/errors";
import { runRemote } from "../transport/ssh";
import type { ArtifactItem } from "./artifacts";
import { listInWords } from "./provider-support";

/** One artifact to put in place: downloaded and installed, or (its build already there) made current. */
export interface ArtifactOperation {
  op: "install" | "activate";
  key: string;
  item: ArtifactItem;
}

/** Limits of one install: a download per URL (after a 5 s connect timeout), and postInstall. */
export const ARTIFACT_LIMITS = { connectSeconds: 5, downloadSeconds: 300, postInstallSeconds: 600 };

/**
 * Reads one tab-separated header line per artifact from stdin (op, key, version, sha256,
 * installDir, the build's architecture or "any", its URLs separated by spaces, postInstall's
 * length), then postInstall itself,
 * exactly that many bytes (`head -c` never reads past them). Prints "done <key>" for each
 * artifact in place; the first failure prints why on stderr and exits 3. Arguments: the download
 * and postInstall limits in seconds, and curl's connect timeout.
 */
const ARTIFACT_BATCH_SCRIPT = `set -u
set -f
max_download=$1; max_post=$2; connect=$3
tab=$(printf '\\t')
key=""
fail() { echo "artifact $key: $*" >&2; exit 3; }
tail_of() { tail -n 8 -- "$1" | cut -c1-300; }
command -v curl >/dev/null 2>&1 || { echo "curl is not installed: declare the Debian package curl" >&2; exit 3; }
work=$(mktemp -d /var/tmp/lyra-artifacts.XXXXXX) || { echo "cannot make a temporary directory in /var/tmp" >&2; exit 3; }
trap 'rm -rf -- "$work"' EXIT
machine=$(uname -m)
while IFS=$tab read -r op key version sha dir arch urls len; do
  head -c "$len" > "$work/post.sh"
  home=\${dir%/*}
  case $op in
    install)
      [ "$arch" = any ] || [ "$arch" = "$machine" ] ||
        fail "this host is $machine (uname -m), but the build pinned for it is the $arch one: declare the host's arch as $machine (nothing installed)"
      got=""; tried=""
      for url in $urls; do
        rm -f -- "$work/download"
        if curl -fsSL --proto '=http,https' --connect-timeout "$connect" --max-time "$max_download" \\
          -o "$work/download" -- "$url" 2>"$work/curl.err" </dev/null; then got=$url; break; fi
        tried="$tried; $url: $(tail -n 1 "$work/curl.err")"
      done
      [ -n "$got" ] || fail "could not be downloaded: \${tried#; }"
      actual=$(sha256sum < "$work/download" | cut -c1-64)
      [ "$actual" = "$sha" ] || fail "$got: sha256 mismatch: expected $sha, got $actual (nothing installed)"
      rm -rf -- "$dir" && mkdir -p -- "$dir" || fail "cannot create $dir"
      if ! tar -xzf "$work/download" --no-same-owner -C "$dir" 2>"$work/tar.err" </dev/null; then
        rm -rf -- "$dir"; fail "$got: cannot extract into $dir: $(tail_of "$work/tar.err")"
      fi
      if [ -s "$work/post.sh" ]; then
        status=0
        (cd -- "$dir" && exec timeout -k 5 "$max_post" sh -e "$work/post.sh") >"$work/post.out" 2>&1 </dev/null || status=$?
        if [ "$status" -ne 0 ]; then
          rm -rf -- "$dir"
          fail "postInstall exited with code $status in $dir (removed); its last lines:
$(tail_of "$work/post.out")"
        fi
      fi
      printf '%s %s\\n' "$sha" "$version" > "$dir/.lyra-artifact.new" &&
        mv -f -- "$dir/.lyra-artifact.new" "$dir/.lyra-artifact" || fail "cannot write its marker in $dir" ;;
    activate) [ -f "$dir/.lyra-artifact" ] || fail "$dir lost its marker since it was read" ;;
    *) fail "unknown operation '$op'" ;;
  esac
  before=$(readlink -- "$home/current" 2>/dev/null || true)
  ln -sfn -- "$dir" "$home/.current.new" && mv -Tf -- "$home/.current.new" "$home/current" ||
    fail "cannot point $home/current at $dir"
  if [ "$before" != "$dir" ]; then
    set +f
    for other in "$home"/*; do
      if [ -d "$other" ] && [ ! -L "$other" ] && [ "$other" != "$dir" ] && [ "$other" != "$before" ]; then
        rm -rf -- "$other"
      fi
    done
    set -f
  fi
  echo "done $key"
done`;

/** The header line and postInstall of one artifact on the batch's stdin. */
function encode({ op, key, item }: ArtifactOperation): string {
  const length = String(Buffer.byteLength(item.postInstall, "utf8"));
  const fields = [op, key, item.version, item.sha256, item.installDir, item.arch ?? "any", item.urls.join(" "), length];
  return `${fields.join("\t")}\n${item.postInstall}`;
}

/** The longest the batch may take: every URL's download and every postInstall, plus some slack. */
function deadlineMs(operations: readonly ArtifactOperation[]): number {
  const { connectSeconds, downloadSeconds, postInstallSeconds } = ARTIFACT_LIMITS;
  const seconds = operations.reduce(
    (sum, { op, item }) =>
      op === "activate"
        ? sum + 1
        : sum + item.urls.length * (connectSeconds + downloadSeconds) + (item.postInstall ? postInstallSeconds : 0),
    30,
  );
  return seconds * 1000;
}

/** What the batch did: the keys put in place, in order, and the error that stopped it. */
export interface ArtifactBatchResult {
  done: string[];
  error?: Error;
}

/** Puts the artifacts in place in order, in one remote command (none: no command). */
export async function applyArtifactBatch(
  connection: HostConnection,
  operations: readonly ArtifactOperation[],
  secrets: readonly string[],
): Promise<ArtifactBatchResult> {
  if (operations.length === 0) return { done: [] };
  const { connectSeconds, downloadSeconds, postInstallSeconds } = ARTIFACT_LIMITS;
  const result = await runRemote(connection, ARTIFACT_BATCH_SCRIPT, {
    purpose: `install ${operations.map(({ key, item }) => `${key} ${item.version}`).join(", ")}`,
    args: [String(downloadSeconds), String(postInstallSeconds), String(connectSeconds)],
    stdin: operations.map(encode).join(""),
    writes: true,
    timeoutMs: deadlineMs(operations),
    secrets,
  });
  const done = result.stdout
    .split("\n")
    .filter((line) => line.startsWith("done "))
    .map((line) => line.slice("done ".length));
  if (result.exitCode === 0 && done.length === operations.length) return { done };
  const why = result.stderr.trim().split("\n").slice(-12).join("\n") || `exit code ${result.exitCode}`;
  const notAttempted = operations.slice(done.length + 1).map(({ key }) => key);
  const progress = [
    done.length > 0 ? `in place before it: ${listInWords(done)}` : "no artifact was put in place",
    notAttempted.length > 0 ? `not attempted: ${listInWords(notAttempted)}` : "",
  ]
    .filter(Boolean)
    .join("; ");
  return {
    done,
    error: hostError(connection.host, "command", `${describeHost(connection)}: ${why} (${progress})`, [...secrets]),
  };
}
