#!/bin/sh
# Runs test layers on node's own runner (TypeScript through tsx).
# Usage: sh test/run.sh [unit|tools|program|lab|cli ...]   (no argument: every layer)
#
# A test file's layer comes from where it lives:
#   cli      test/pulumi/ (the real Pulumi CLI converging the lab: preview, up, destroy)
#   lab      test/lab/, any */lab/ directory, or a file named lab-*.test.ts (real hosts over SSH)
#   tools    test/tools/ or any */tools/ directory (the real programs: mosquitto, mkdocs, ...)
#   program  test/program/ (the Pulumi program under mocks)
#   unit     everything else (no I/O beyond temp files)
# Node 20's --test takes no globs, so the files are listed here.
set -eu
cd "$(dirname "$0")/.."
layers="${*:-unit tools program lab cli}"

layer_of() {
  case "$1" in
    test/pulumi/*) echo cli ;;
    test/lab/*|*/lab/*|*/lab-*.test.ts) echo lab ;;
    test/tools/*|*/tools/*) echo tools ;;
    test/program/*) echo program ;;
    *) echo unit ;;
  esac
}

for layer in $layers; do
  case "$layer" in unit|tools|program|lab|cli) ;; *) echo "test/run.sh: unknown layer '$layer' (expected unit, tools, program, lab or cli)" >&2; exit 2 ;; esac
done

files=""
for layer in $layers; do
  for f in $(find test -name '*.test.ts' | sort); do
    [ "$(layer_of "$f")" = "$layer" ] && files="$files $f"
  done
done
if [ -z "$files" ]; then echo "test/run.sh: no test files for: $layers" >&2; exit 1; fi
# One file at a time: tool and lab tests share ports and the lab hosts.
exec node --import tsx --test --test-concurrency=1 $files
