#!/bin/bash
# Provides the Pulumi CLI at the versions package.json pins, built from Go modules (no installer
# and no plugin downloads are needed, see README "The Pulumi CLI offline"):
#   pulumi                         github.com/pulumi/pulumi/pkg/v3, cmd/pulumi
#   pulumi-language-nodejs         this folder's language-nodejs/ (Go, on the pinned sdk/v3): Pulumi's
#                                  own is a Go module the reachable module proxy does not serve
#                                  (config-from-pipe.cjs beside it: the preload that hands the
#                                  program its config)
#   pulumi-resource-pulumi-nodejs  the Node.js dynamic-provider launcher (this folder), with
#                                  exit-with-engine.cjs, which it preloads
# Binaries are cached machine-wide, keyed by version (the language host also by its source), so
# a machine that has them skips the build; a `pulumi` of the right version already on PATH is
# used as it is.
#
# Usage: scripts/pulumi-cli/ensure.sh
# Prints one line on stdout: the directory to put first on PATH.
# Environment: LYRA_PULUMI_CACHE (default /var/cache/lyra-fleet/pulumi-cli when writable, else
# ~/.cache/lyra-fleet/pulumi-cli), LYRA_PULUMI_BUILD_DEADLINE (seconds per build, default 3600).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

die() { echo "pulumi-cli: $*" >&2; exit 1; }
say() { echo "pulumi-cli: $*" >&2; }

if [ -n "${LYRA_PULUMI_CACHE:-}" ]; then cache=$LYRA_PULUMI_CACHE
elif mkdir -p /var/cache/lyra-fleet 2>/dev/null && [ -w /var/cache/lyra-fleet ]; then cache=/var/cache/lyra-fleet/pulumi-cli
else cache=${XDG_CACHE_HOME:-$HOME/.cache}/lyra-fleet/pulumi-cli
fi
deadline=${LYRA_PULUMI_BUILD_DEADLINE:-3600}

pinned() { # the exact version package.json pins for an npm package
  node -e 'const v = require(process.argv[1]).dependencies[process.argv[2]];
    if (!/^\d+\.\d+\.\d+$/.test(v || "")) { console.error(`package.json: dependencies.${process.argv[2]} must be an exact version, got ${v}`); process.exit(1); }
    process.stdout.write(v)' "$root/package.json" "$1"
}

cli_version=$(pinned @pulumi/pulumi)
bin=$cache/v$cli_version/bin
mkdir -p "$bin" "$cache/build" "$cache/logs"

# One build at a time machine-wide (the test layer and .ci/run may both ask).
exec 9>"$cache/lock"
flock -w "$deadline" 9 || die "another build has held $cache/lock for ${deadline}s"

version_of() { "$1" version 2>/dev/null | head -n1 || true; }
# Only a build needs Go: a machine with the binaries cached does not.
need_go() { command -v go >/dev/null || die "Go 1.25 or newer is needed to build $1 (Debian 12's golang package, 1.19, is too old)"; }

# pulumi itself.
if [ "$(version_of "$bin/pulumi")" != "v$cli_version" ]; then
  found=$(command -v pulumi || true)
  if [ -n "$found" ] && [ "$(version_of "$found")" = "v$cli_version" ]; then
    say "using $found (v$cli_version)"
    ln -sf "$found" "$bin/pulumi"
  else
    # In a scratch module: pkg/v3's own replace of sdk/v3 points at a path inside its repository
    # and only applies when it is the main module, so here sdk/v3 comes from the module proxy too.
    need_go pulumi
    dir=$cache/build/pulumi-v$cli_version log=$cache/logs/pulumi-v$cli_version.log started=$SECONDS
    rm -rf "$dir"; mkdir -p "$dir"
    say "building pulumi v$cli_version from Go modules (a first build downloads over 1 GB; log: $log)"
    (
      cd "$dir"
      export GOFLAGS="-mod=mod -modcacherw" GOTOOLCHAIN=local CGO_ENABLED=0
      go mod init lyra-fleet/pulumi-build
      timeout "$deadline" go get "github.com/pulumi/pulumi/pkg/v3@v$cli_version" "github.com/pulumi/pulumi/sdk/v3@v$cli_version"
      # The release build's tags and version flag, so `pulumi version` prints the pinned version.
      timeout "$deadline" go build -trimpath -tags osusergo,grpcnotrace \
        -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$cli_version" \
        -o "$bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
      mv "$bin/pulumi.tmp" "$bin/pulumi"
    ) >"$log" 2>&1 || { tail -n 25 "$log" >&2; die "building pulumi failed or exceeded ${deadline}s per step (full log: $log)"; }
    say "built pulumi v$cli_version in $((SECONDS - started)) s ($(du -h "$bin/pulumi" | cut -f1))"
  fi
  [ "$(version_of "$bin/pulumi")" = "v$cli_version" ] || die "$bin/pulumi does not report v$cli_version"
fi

# The language host, from this folder's module, on the pinned SDK: rebuilt when its source or
# the pin changes.
language_src=$here/language-nodejs
language_stamp="v$cli_version $(cat "$language_src"/go.mod "$language_src"/go.sum "$language_src"/*.go | sha256sum | cut -c1-16)"
if [ "$(cat "$bin/pulumi-language-nodejs.stamp" 2>/dev/null)" != "$language_stamp" ] || [ ! -x "$bin/pulumi-language-nodejs" ]; then
  grep -q "github.com/pulumi/pulumi/sdk/v3 v$cli_version\$" "$language_src/go.mod" ||
    die "$language_src/go.mod must require github.com/pulumi/pulumi/sdk/v3 v$cli_version, the version package.json pins (cd $language_src && go get github.com/pulumi/pulumi/sdk/v3@v$cli_version && go mod tidy)"
  need_go pulumi-language-nodejs
  started=$SECONDS log=$cache/logs/pulumi-language-nodejs.log
  say "building pulumi-language-nodejs (log: $log)"
  ( cd "$language_src" && GOFLAGS="-modcacherw -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0 timeout "$deadline" \
      go build -trimpath -ldflags "-X main.version=v$cli_version" -o "$bin/pulumi-language-nodejs.tmp" . &&
      mv "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs" ) >"$log" 2>&1 ||
    { tail -n 25 "$log" >&2; die "building pulumi-language-nodejs failed or exceeded ${deadline}s (full log: $log)"; }
  echo "$language_stamp" >"$bin/pulumi-language-nodejs.stamp"
  say "built pulumi-language-nodejs in $((SECONDS - started)) s"
fi

for launcher in pulumi-resource-pulumi-nodejs exit-with-engine.cjs config-from-pipe.cjs; do
  cmp -s "$here/$launcher" "$bin/$launcher" || install -m 0755 "$here/$launcher" "$bin/$launcher"
done

echo "$bin"
