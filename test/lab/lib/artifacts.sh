# The apps the fleet installs from the NAS artifact share, built here for the lab (sourced by
# lab.sh). Nothing is baked into the hosts' image: like the household's real apps, each is a .tar.gz
# on the NAS (lib/nas.sh copies them to /srv/lyra-artifacts/<key>/<version>/<file>), installed by
# `pulumi up`. Versions are the lab stack's `versions:`; each build is cached under
# $LAB_ARTIFACTS/<key>/<version>/ and redone only when its inputs change. Every archive is
# deterministic (sorted, mtime 0, uid/gid 0, gzip -n): the same inputs give the same sha256.
# $LAB_ARTIFACTS/manifest.json tells tests and the lab stack what was built:
#   { "<key>": { "version": "...", "file": "...", "sha256": "<64 hex>" }, ... }

LAB_ARTIFACTS=$LAB_DIR/artifacts
LAB_STANDINS=$LAB_SRC/../fixtures/standins
LAB_STACK_FILE=$LAB_SRC/../../stacks/Pulumi.lab.yaml
# Bump when a build below changes what it puts into an archive.
ARTIFACTS_REVISION=1
DEADLINE_NPM=300
DEADLINE_PIP=300
# Debian's Python builds the wheel and downloads the dependencies (python3-pip), never a pyenv's.
BUILD_PYTHON=/usr/bin/python3
# The lab hosts' Python (Debian bookworm): the orchestrator's wheelhouse is for it.
HOST_PYTHON_TAGS=(--platform manylinux2014_x86_64 --python-version 3.11 --implementation cp --abi cp311)

# What the builds and the NAS checks run on this machine, checked before anything starts.
artifacts_preflight() {
  local tool missing=""
  for tool in node npm tar gzip curl sha256sum; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
  "$BUILD_PYTHON" -m pip --version >/dev/null 2>&1 || missing="$missing $BUILD_PYTHON-pip"
  [ -z "$missing" ] || die "missing tools to build the lab's artifacts:$missing (apt-get install python3-pip curl; Node.js with npm)"
}

# "key version" per line, from the lab stack's versions: (the yaml package of the checkout).
lab_versions() {
  node -e '
    const root = process.argv[1];
    const YAML = require(require.resolve("yaml", { paths: [root] }));
    const doc = YAML.parse(require("fs").readFileSync(process.argv[2], "utf8"));
    const versions = doc?.config?.["lyra-fleet:fleet"]?.versions ?? {};
    for (const [key, version] of Object.entries(versions).sort()) console.log(key, version);
  ' "$LAB_SRC/../.." "$LAB_STACK_FILE" || die "cannot read versions: from $LAB_STACK_FILE"
}

# The file name of KEY's archive, the same for every version (the version is its directory):
# qdrant keeps its upstream release's name; the names match the lab stack's `artifacts:` files.
artifact_file() {
  case $1 in
    qdrant) echo qdrant-x86_64-unknown-linux-gnu.tar.gz ;;
    lyra-orchestrator) echo lyra-orchestrator-wheels.tar.gz ;;
    stt-service | lyra-client | node-red) echo "$1.tar.gz" ;;
    *) return 1 ;;
  esac
}

# Everything a build of KEY reads, hashed by content and relative name: a change to any of them
# rebuilds it (a change to the builds themselves bumps ARTIFACTS_REVISION).
artifact_inputs() {
  local key=$1 version=$2
  {
    echo "revision=$ARTIFACTS_REVISION key=$key version=$version"
    case $key in
      qdrant) (cd "$LAB_STANDINS" && sha256sum qdrant-standin.py) ;;
      stt-service | lyra-client) (cd "$LAB_STANDINS" && sha256sum http-standin.py) ;;
      lyra-orchestrator)
        (cd "$LAB_STANDINS" && find lyra-orchestrator -type f -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum)
        (cd "$LAB_SRC/lib" && sha256sum make-wheel.py) ;;
      node-red) (cd "$LAB_STANDINS/node-red" && sha256sum package.json package-lock.json) ;;
    esac
  } | sha256sum | cut -d' ' -f1
}

# deterministic_tar STAGE OUT: STAGE's entries at the archive root, the same bytes every time.
deterministic_tar() {
  local stage=$1 out=$2 entries
  entries=$(cd "$stage" && ls -A) || return 1
  # shellcheck disable=SC2086 # one word per top-level entry of the stage
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu --mode='go-w' \
    -C "$stage" -cf - $entries | gzip -n -9 >"$out.tmp" && mv "$out.tmp" "$out"
}

# stage_KEY VERSION STAGE: lays out what the archive holds (the contract in the README).
stage_qdrant() { install -D -m 0755 "$LAB_STANDINS/qdrant-standin.py" "$2/qdrant"; }
stage_stt_service() { install -D -m 0755 "$LAB_STANDINS/http-standin.py" "$2/bin/stt-service"; }
stage_lyra_client() { install -D -m 0755 "$LAB_STANDINS/http-standin.py" "$2/bin/lyra-client"; }

# A real wheel of the stand-in package and every dependency, pinned, from PyPI: the hosts install
# it offline with `pip install --no-index --find-links wheels lyra-orchestrator==VERSION`.
stage_lyra_orchestrator() {
  local version=$1 stage=$2 source=$LAB_STANDINS/lyra-orchestrator log=$LAB_LOGS/artifact-pip.log
  mkdir -p "$stage/wheels"
  "$BUILD_PYTHON" "$LAB_SRC/lib/make-wheel.py" "$source" lyra lyra-orchestrator "$version" "$stage/wheels" \
    fastapi uvicorn >/dev/null || die "cannot build the lyra-orchestrator wheel"
  (cd "$stage" && timeout "$DEADLINE_PIP" "$BUILD_PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
      --only-binary=:all: "${HOST_PYTHON_TAGS[@]}" -r "$source/requirements.txt" -d "$stage/wheels" >"$log" 2>&1) ||
    { tail -n 20 "$log" >&2; die "pip download of the orchestrator's dependencies failed or exceeded ${DEADLINE_PIP}s (log: $log)"; }
}

# What `npm install --omit=dev node-red@VERSION` makes, node_modules/ at the archive root, from the
# committed lockfile (test/fixtures/standins/node-red): npm would otherwise resolve Node-RED's own
# dependencies anew at each build, and the archive's sha256 would move under the lab stack's pin.
stage_node_red() {
  local version=$1 stage=$2 source=$LAB_STANDINS/node-red log=$LAB_LOGS/artifact-npm.log locked
  locked=$(node -p 'require(process.argv[1]).packages["node_modules/node-red"].version' "$source/package-lock.json") ||
    die "cannot read node-red's version from $source/package-lock.json"
  [ "$locked" = "$version" ] ||
    die "versions.node-red is $version but $source/package-lock.json locks $locked: run \`npm install --package-lock-only node-red@$version\` there"
  cp "$source/package.json" "$source/package-lock.json" "$stage/"
  (cd "$stage" && timeout "$DEADLINE_NPM" npm ci --omit=dev --no-audit --no-fund --loglevel=error) >"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die "npm ci of node-red@$version failed or exceeded ${DEADLINE_NPM}s (log: $log)"; }
  rm -f "$stage/package.json" "$stage/package-lock.json"
}

# build_artifact KEY VERSION: the archive, built unless a build of the same inputs is there.
build_artifact() {
  local key=$1 version=$2 file dir inputs stage
  file=$(artifact_file "$key" "$version") || return 1
  dir=$LAB_ARTIFACTS/$key/$version; inputs=$(artifact_inputs "$key" "$version")
  if [ -s "$dir/$file" ] && [ "$(cat "$dir/$file.inputs" 2>/dev/null)" = "$inputs" ]; then return 0; fi
  say "building the $key $version artifact"
  stage=$(mktemp -d "$LAB_ARTIFACTS/.stage-$key.XXXXXX") || die "cannot make a staging directory in $LAB_ARTIFACTS"
  (umask 022; "stage_${key//-/_}" "$version" "$stage") || { rm -rf "$stage"; die "cannot stage the $key artifact"; }
  mkdir -p "$dir"
  deterministic_tar "$stage" "$dir/$file" || { rm -rf "$stage"; die "cannot archive the $key artifact"; }
  rm -rf "$stage"
  echo "$inputs" >"$dir/$file.inputs"
}

# Builds every app of the lab stack's versions that the lab has a build for, then the manifest.
# `lab.sh artifacts` runs without the lab's lock: builds take their own (fd 8, closed on return,
# so no host or forwarder started later can inherit it).
ensure_artifacts() {
  mkdir -p "$LAB_ARTIFACTS" "$LAB_LOGS"
  {
    flock -w "$DEADLINE_LOCK" 8 || die "another artifact build has held $LAB_ARTIFACTS/.lock for ${DEADLINE_LOCK}s"
    build_artifacts
  } 8>"$LAB_ARTIFACTS/.lock"
}

build_artifacts() {
  local key version file lines=()
  while read -r key version; do
    if ! file=$(artifact_file "$key" "$version"); then
      say "no lab build for versions.$key (not an artifact the lab provides): skipped"
      continue
    fi
    build_artifact "$key" "$version"
    lines+=("$key" "$version" "$file" "$(sha256sum "$LAB_ARTIFACTS/$key/$version/$file" | cut -d' ' -f1)")
  done < <(lab_versions)
  "$BUILD_PYTHON" -c '
import json, sys
args = sys.argv[2:]
manifest = {args[i]: {"version": args[i + 1], "file": args[i + 2], "sha256": args[i + 3]} for i in range(0, len(args), 4)}
text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
try:
    same = open(sys.argv[1]).read() == text
except OSError:
    same = False
if not same:
    open(sys.argv[1] + ".tmp", "w").write(text)
' "$LAB_ARTIFACTS/manifest.json" "${lines[@]}" || die "cannot write $LAB_ARTIFACTS/manifest.json"
  [ ! -e "$LAB_ARTIFACTS/manifest.json.tmp" ] || mv "$LAB_ARTIFACTS/manifest.json.tmp" "$LAB_ARTIFACTS/manifest.json"
}

# "key version file" per line of the manifest, for the upload to the NAS.
manifest_entries() {
  "$BUILD_PYTHON" -c '
import json, sys
for key, entry in sorted(json.load(open(sys.argv[1])).items()):
    print(key, entry["version"], entry["file"])
' "$LAB_ARTIFACTS/manifest.json"
}
