#!/bin/sh
# npm run bench: every bench in order, each recording its figures in bench/results/, then the one
# table of issue 14's figures (bench/report.ts). The lab benches each take the lab's lock for their
# own run only (flock, as the README says), so other users of the lab get turns in between; the
# program bench needs no lab. A bench that fails leaves its last results file as it was; the rest
# still run, the report still prints, and the exit status is 1.
# Wipes the lab hosts (lab-converge, lab-scaling, ansible-peer) and ends with the lab converged.
set -u
cd "$(dirname "$0")/.."
lock="${LYRA_LAB_LOCK:-/tmp/lyra-lab.lock}"
failed=""

bench() {
  name=$1
  shift
  echo "== bench $name: $*" >&2
  started=$(date +%s)
  if "$@"; then status=ok; else status="failed (exit $?)" failed="$failed $name"; fi
  echo "== bench $name: $status after $(($(date +%s) - started)) s" >&2
}

started_all=$(date +%s)
bench program-scale node --import tsx bench/program-scale.ts
bench provider-strings node --import tsx bench/provider-strings.ts
# The real CLI, but no host: needs only the lab's client key.
bench cli-preview node --import tsx bench/cli-preview.ts
bench host-read flock "$lock" node --import tsx bench/host-read.ts
bench host-apply flock "$lock" node --import tsx bench/host-apply.ts
bench lab-converge flock "$lock" node --import tsx bench/lab-converge.ts
# Takes the lock per size itself (LYRA_LAB_LOCK): 20 mirrors is a long turn.
bench lab-scaling env LYRA_LAB_LOCK="$lock" node --import tsx bench/lab-scaling.ts
# The peer leaves the lab stack targeted at vega only: converge the whole lab back in the same turn.
bench ansible-peer flock "$lock" sh -c 'node --import tsx bench/ansible-peer.ts; peer=$?; npm run lab:converge || exit 1; exit $peer'
echo "== every bench: $(($(date +%s) - started_all)) s${failed:+, failed:$failed}" >&2

node --import tsx bench/report.ts || failed="$failed report"
[ -z "$failed" ]
