#!/bin/bash
# The lab: three real systemd fleet hosts (systemd-nspawn) reachable over SSH on 127.0.0.11-13,
# the NAS on 127.0.0.10 (lab infrastructure: lib/nas.sh, apps it serves: lib/artifacts.sh, images
# its registry holds: lib/images.sh),
# and on demand extra mirrors mirror-2..mirror-N on 127.0.0.14 and up (lib/mirrors.sh).
# Usage: lab.sh up [--mirrors N] | down | wipe HOST... | wipe-nas | unplug HOST | offline | online | status | artifacts
# (see test/lab/README.md)
# State lives in ${LYRA_LAB_DIR:-/var/lib/lyra-fleet-lab}; needs root.
set -uo pipefail
# Hosts and forwarders started here run for hours: close every descriptor inherited beyond stdio
# first, or they would hold it that long (a caller's `flock FILE lab.sh ...` lock, a test's pipe).
for inherited in /proc/$$/fd/*; do
  inherited=${inherited##*/}
  [ "$inherited" -gt 2 ] 2>/dev/null && eval "exec $inherited>&-" 2>/dev/null
done
unset inherited
LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for lib in common rootfs network forwards hosts mirrors artifacts images nas; do . "$LAB_SRC/lib/$lib.sh"; done

usage() { echo "usage: lab.sh up [--mirrors N] | down | wipe HOST... | wipe-nas | unplug HOST | offline | online | status | artifacts" >&2; exit 2; }

preflight() {
  [ "$(id -u)" = 0 ] || die "the lab needs root (namespaces, mounts, systemd-nspawn)"
  local tool missing=""
  for tool in debootstrap systemd-nspawn systemd-socket-activate nsenter ip ss ssh ssh-keygen flock setsid mount; do
    command -v "$tool" >/dev/null || missing="$missing $tool"
  done
  [ -x "$SOCKET_PROXYD" ] || missing="$missing systemd-socket-proxyd"
  [ -z "$missing" ] || die "missing tools:$missing (apt-get install debootstrap systemd-container iproute2 openssh-client util-linux)"
  artifacts_preflight
  images_preflight
  mkdir -p "$LAB_RUN" "$LAB_LOGS" "$LAB_DIR/hosts"
}

# One lab command at a time, machine-wide; waiting has a deadline too. Everything started
# in the background must close fd 9, or it would hold the lock for as long as it runs.
take_lock() {
  exec 9>"$LAB_DIR/lock"
  flock -w "$DEADLINE_LOCK" 9 || die "another lab command has held $LAB_DIR/lock for ${DEADLINE_LOCK}s"
}

ensure_client_key() {
  [ -s "$CLIENT_KEY" ] && [ -s "$CLIENT_KEY.pub" ] && return 0
  rm -f "$CLIENT_KEY" "$CLIENT_KEY.pub"
  ssh-keygen -q -t ed25519 -N '' -C lyra-fleet-lab-client -f "$CLIENT_KEY" || die "cannot create $CLIENT_KEY"
  CLIENT_KEY_CREATED=1
}

# Built from the committed fixtures, not from what a host presents: that is what makes
# StrictHostKeyChecking a check.
write_known_hosts() {
  local name line
  for name in $(host_names); do
    line=$(cut -d' ' -f1,2 "$(host_fixture_dir "$name")/ssh_host_ed25519_key.pub")
    echo "$(host_loopback "$name") $line"
  done >"$KNOWN_HOSTS.tmp" && mv "$KNOWN_HOSTS.tmp" "$KNOWN_HOSTS"
}

ensure_rootfs() {
  rootfs_is_current && return 0
  local name
  # Overlays must not sit on a root that is being replaced.
  say "the pristine root is missing or outdated: taking the lab down to rebuild it"
  lab_down
  build_rootfs
  # Upper layers made over another root are meaningless now.
  for name in $(host_names); do wipe_host_layer "$name"; done
}

start_host() { # mount, prepare and boot a stopped host (no wait)
  mount_host_overlay "$1"
  prepare_host "$1"
  boot_host "$1"
}

lab_up() { # [MIRRORS]: the number of mirrors to run; without it, the ones the lab has
  local name started=0 mirrors
  mirrors=$(wanted_mirrors "${1:-}") || exit 1
  ensure_rootfs # first: rebuilding the root takes the lab down, extra mirrors included
  ensure_artifacts # before any host boots: a failed build leaves the lab as it was
  ensure_images    # the same for the broker image (pushed to nas by ensure_nas)
  [ -z "$mirrors" ] || set_mirror_count "$mirrors"
  ensure_client_key
  write_known_hosts
  ensure_lab_netns
  for name in $(host_names); do
    if ! netns_usable "$(host_netns "$name")" && host_running "$name"; then
      say "$name runs in a network namespace that is gone: restarting it"
      stop_host "$name"
    fi
    ensure_host_netns "$name"
  done
  for name in $(host_names); do
    if host_running "$name"; then
      # A new client key (its file was deleted) must reach the hosts that keep running.
      [ -z "${CLIENT_KEY_CREATED:-}" ] || authorize_client_key "$name"
      write_etc_hosts "$name" # mirrors may have come or gone since it booted
      continue
    fi
    start_host "$name"; started=$((started + 1))
  done
  ensure_forwards  # while the hosts boot
  wait_hosts_ssh
  ensure_nas
  [ "$started" -eq 0 ] || say "booted $started host(s)"
  print_hosts
}

lab_down() {
  local name
  for name in $(host_names); do request_host_stop "$name"; done  # all power off at once
  for name in $(host_names); do stop_host "$name"; done
  stop_forwards
  rm -f "$(offline_flag)" # the next `up` is online again
  for name in $(host_names); do unmount_host_overlay "$name"; done
  remove_network
  forget_extra_hosts
  say "lab is down"
}

lab_wipe() { # HOST...: all stopped and wiped first, then one `up` boots them
  local name
  for name in "$@"; do
    require_host "$name"
    # The NAS holds every backup: re-flashing a fleet host must never take them along.
    [ "$name" != "$NAS_HOST" ] || [ -n "${WIPE_NAS:-}" ] ||
      die "refusing to wipe $NAS_HOST with the fleet hosts: it holds the backups and artifacts; \`lab.sh wipe-nas\` empties it on purpose"
  done
  rootfs_is_current || die "the lab has no current pristine root; run lab:up first"
  for name in "$@"; do request_host_stop "$name"; done # all power off at once
  for name in "$@"; do stop_host "$name"; wipe_host_layer "$name"; done
  lab_up
}

# A powered-off host, as the fleet sees it: its forwarders stop, so its address refuses every
# connection while the host itself keeps running. `up` plugs it back in.
lab_unplug() {
  require_host "$1"
  stop_forwards "$1-*"
  say "$1 is unplugged ($(host_loopback "$1") refuses connections); lab:up plugs it back in"
}

# The internet is down, the LAN is not: the forward to Debian's mirror is cut for every host, nas
# included, and stays cut across `up` and `wipe` until `online` (or `down`).
lab_go_offline() {
  cut_mirror_forward
  say "the package forward is cut: no host reaches deb.debian.org until lab.sh online"
}
lab_go_online() {
  netns_usable "$LAB_NETNS" || die "the lab is down; lab.sh up brings it up online"
  restore_mirror_forward
  say "the package forward is back: hosts reach deb.debian.org through $LAB_GATEWAY:80"
}

print_hosts() {
  local name
  for name in $(host_names); do
    printf '%-9s %s:22  internal %-11s  %s\n' "$name" "$(host_loopback "$name")" "$(host_internal "$name")" \
      "$(ssh-keygen -lf "$(host_fixture_dir "$name")/ssh_host_ed25519_key.pub" | awk '{print $2, $NF}')"
  done
}

lab_status() {
  local name state all_up=0 pid
  for name in $(host_names); do
    if host_running "$name"; then
      pid=$(pid_from_file "$(nspawn_pidfile "$name")")
      state="running (nspawn PID ${pid:-?})"
      if ssh_answers "$(host_loopback "$name")"; then state="$state, SSH ok"; else state="$state, no SSH"; all_up=1; fi
    else
      state=stopped; all_up=1
    fi
    printf '%-9s %s  %s\n' "$name" "$(host_loopback "$name")" "$state"
  done
  nas_status
  images_status
  network_status
  forwards_status
  if rootfs_is_current; then echo "pristine root: $LAB_ROOTFS (current)"; else echo "pristine root: missing or outdated"; fi
  return "$all_up"
}

command=${1:-}
case $command in
  up)
    case $# in
      1) mirrors="" ;;
      3) [ "$2" = --mirrors ] || usage; mirrors=$3 ;;
      *) usage ;;
    esac
    preflight; take_lock; lab_up "$mirrors" ;;
  down) preflight; take_lock; lab_down ;;
  wipe) [ $# -ge 2 ] || usage; preflight; take_lock; shift; lab_wipe "$@" ;;
  # A new NAS: empty backup repository root, artifacts published again (lib/nas.sh).
  wipe-nas) [ $# -eq 1 ] || usage; preflight; take_lock; WIPE_NAS=1 lab_wipe "$NAS_HOST" ;;
  # Builds the artifacts and images without the lab (outside a test's lock: the first build takes minutes).
  artifacts) [ $# -eq 1 ] || usage; preflight; ensure_artifacts; ensure_images; cat "$LAB_ARTIFACTS/manifest.json" ;;
  unplug) [ $# -eq 2 ] || usage; preflight; take_lock; lab_unplug "$2" ;;
  offline) [ $# -eq 1 ] || usage; preflight; take_lock; lab_go_offline ;;
  online) [ $# -eq 1 ] || usage; preflight; take_lock; lab_go_online ;;
  status) preflight; lab_status ;;
  *) usage ;;
esac
