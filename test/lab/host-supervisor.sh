#!/bin/bash
# Keeps one lab host booted: systemd-nspawn exits 133 when the host reboots itself
# (`systemctl reboot`), so it is started again; any other exit ends the host.
# Usage: host-supervisor.sh NAME ROOT NETNS_PATH NSPAWN_PIDFILE STOP_FLAG [NSPAWN_ARG...]  (started by
# lab.sh; the extra arguments are a host's own nspawn options, such as a Docker host's)
set -u
name=$1 root=$2 netns=$3 pidfile=$4 stop_flag=$5
shift 5
while [ ! -e "$stop_flag" ]; do
  echo "=== $(date -Is) booting $name"
  # --register=no --keep-unit: there is no systemd/machined on the machine running the lab.
  systemd-nspawn --quiet --directory="$root" --boot --machine="$name" \
    --register=no --keep-unit --network-namespace-path="$netns" \
    --resolv-conf=off --link-journal=no --console=read-only "$@" </dev/null &
  child=$!
  echo "$child" >"$pidfile"
  wait "$child"
  code=$?
  echo "=== $(date -Is) systemd-nspawn of $name exited with $code"
  [ "$code" -eq 133 ] || break
done
rm -f "$pidfile"
