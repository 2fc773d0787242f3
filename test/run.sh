#!/bin/sh
# Runs test layers on node's own runner (TypeScript through tsx).
# Usage: sh test/run.sh [unit|tools|program|lab ...]   (no argument: every layer)
# Node 20's --test takes no globs, so the files are listed here.
set -eu
cd "$(dirname "$0")/.."
layers="${*:-unit tools program lab}"
dirs=""
for layer in $layers; do
  case "$layer" in
    unit) dirs="$dirs test/model test/render test/cli" ;;
    tools) dirs="$dirs test/tools" ;;
    program) dirs="$dirs test/fleet test/program" ;;
    lab) dirs="$dirs test/host test/lab" ;;
    *) echo "test/run.sh: unknown layer '$layer' (expected unit, tools, program or lab)" >&2; exit 2 ;;
  esac
done
files=$(for d in $dirs; do [ -d "$d" ] && find "$d" -name '*.test.ts'; done | sort)
if [ -z "$files" ]; then echo "test/run.sh: no test files for: $layers" >&2; exit 1; fi
# One file at a time: tool and lab tests share ports and the lab hosts.
exec node --import tsx --test --test-concurrency=1 $files
