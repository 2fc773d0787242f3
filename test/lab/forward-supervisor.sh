#!/bin/bash
# Keeps one lab port forwarder listening. A forwarder is systemd-socket-activate, which opens the
# listening socket and on the first connection execs (same PID) nsenter, which execs
# systemd-socket-proxyd in the namespace that can reach the target. On a real LAN a port does not
# stop answering, but forwarders vanished mid-run with nothing in their log (lyra:9100 once,
# vega:9100 in stop 19's CI), and every later connection was refused: a fault of the lab reported
# as a fault of the fleet. So the forwarder is started again, and how it ended goes into its log.
# That log named the cause: "ended after 801s (signal PIPE)". systemd-socket-proxyd relies on
# systemd, which starts services with SIGPIPE ignored (IgnoreSIGPIPE=yes); started by hand, a write
# to a client that had gone away mid-answer killed it. So SIGPIPE is ignored here, as under systemd
# (an ignored signal stays ignored across exec): the write fails with EPIPE, which the proxy handles
# by closing that one connection.
# A forwarder that ends within a second of its start did not get going (its address is taken, its
# namespace is gone): that ends the supervisor too, so that lab.sh reports it.
# Usage: forward-supervisor.sh LISTEN TARGET_NETNS TARGET [LISTEN_NETNS]  (started by lab.sh, with
# SOCKET_PROXYD in the environment; LISTEN_NETNS empty or absent: the namespace it runs in)
set -u
listen=$1 target_ns=$2 target=$3 listen_ns=${4:-}
enter=()
[ -z "$listen_ns" ] || enter=(nsenter --net="/run/netns/$listen_ns")
child='' stopping=''
trap '' PIPE
# lab.sh stops a forwarder with SIGTERM to this supervisor: pass it on, and do not start it again.
trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null' TERM INT
while :; do
  started=$SECONDS
  "${enter[@]}" systemd-socket-activate -l "$listen" \
    nsenter --net="/run/netns/$target_ns" "$SOCKET_PROXYD" "$target" </dev/null &
  child=$!
  wait "$child"
  code=$?
  # A trapped signal ends `wait` before the child has exited: wait for the child itself.
  if [ -n "$stopping" ]; then wait "$child"; exit 0; fi
  how="exit status $code"
  [ "$code" -le 128 ] || how="signal $(kill -l $((code - 128)) 2>/dev/null || echo $((code - 128)))"
  lived=$((SECONDS - started))
  if [ "$lived" -lt 1 ]; then
    echo "=== $(date -Is) forwarder $listen -> $target ended at its start ($how)"
    exit 1
  fi
  echo "=== $(date -Is) forwarder $listen -> $target ended after ${lived}s ($how); starting it again"
  sleep 0.2 # never a busy loop
done
