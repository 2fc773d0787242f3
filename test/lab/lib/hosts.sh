# One lab host: overlay, identity, boot, stop, wipe (sourced by lab.sh).
# hosts/<name>/upper is the host's own writable layer: throwing it away re-flashes the host.

host_overlay() { echo "$(host_dir "$1")/merged"; }
supervisor_pidfile() { echo "$LAB_RUN/host-$1.supervisor.pid"; }
nspawn_pidfile() { echo "$LAB_RUN/host-$1.nspawn.pid"; }
stop_flag() { echo "$LAB_RUN/host-$1.stop"; }
# What identifies our processes in /proc/PID/cmdline (see pid_runs).
supervisor_marker() { echo "host-supervisor.sh $1 "; }
nspawn_marker() { echo "--machine=$1 "; }

mount_host_overlay() {
  local name=$1 dir merged
  dir=$(host_dir "$name"); merged=$(host_overlay "$name")
  mkdir -p "$dir/upper" "$dir/work" "$merged"
  mountpoint -q "$merged" && return 0
  mount -t overlay "lab-$name" -o "lowerdir=$LAB_ROOTFS,upperdir=$dir/upper,workdir=$dir/work" "$merged" ||
    die "cannot mount the overlay of $name at $merged"
}

unmount_host_overlay() {
  local merged; merged=$(host_overlay "$1")
  mountpoint -q "$merged" || return 0
  wait_until 10 "the overlay of $1 to unmount" umount "$merged" || die "cannot unmount $merged (still in use?)"
}

# Identity and access, written on every preparation so a wiped host comes back the same to SSH
# clients (the stack file pins its host key) but with a new machine-id, like a re-flashed card.
prepare_host() {
  local name=$1 root fixtures line
  root=$(host_overlay "$name"); fixtures=$(host_fixture_dir "$name")
  [ -s "$fixtures/ssh_host_ed25519_key" ] || die "missing host key fixture $fixtures/ssh_host_ed25519_key"
  echo "$name" >"$root/etc/hostname"
  [ -s "$root/etc/machine-id" ] || tr -d '-' </proc/sys/kernel/random/uuid >"$root/etc/machine-id"

  rm -f "$root"/etc/ssh/ssh_host_*
  install -m 0600 "$fixtures/ssh_host_ed25519_key" "$root/etc/ssh/ssh_host_ed25519_key"
  install -m 0644 "$fixtures/ssh_host_ed25519_key.pub" "$root/etc/ssh/ssh_host_ed25519_key.pub"

  authorize_client_key "$name"
  write_etc_hosts "$name"
}

# Every lab host by name. Also used on running hosts when extra mirrors come or go; a file
# that would not change is not touched.
write_etc_hosts() {
  local file line
  file=$(host_overlay "$1")/etc/hosts
  {
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n'
    lab_hosts | while read -r line; do
      set -- $line
      printf '%s\t%s.%s %s\n' "$3" "$1" "$LAB_DOMAIN" "$1"
    done
    printf '%s\t%s\n' "$LAB_GATEWAY" "$MIRROR_NAMES"
  } >"$file.lab-new"
  if cmp -s "$file.lab-new" "$file"; then rm -f "$file.lab-new"; else mv "$file.lab-new" "$file"; fi
}

# Also used on running hosts: the overlay is mounted here, so the host sees the change at once.
authorize_client_key() {
  local root uid_gid
  root=$(host_overlay "$1")
  install -d -m 0700 "$root/root/.ssh"
  install -m 0600 "$CLIENT_KEY.pub" "$root/root/.ssh/authorized_keys"
  uid_gid=$(awk -F: '$1 == "deploy" {print $3 ":" $4}' "$root/etc/passwd")
  [ -n "$uid_gid" ] || die "user deploy is missing on $1"
  install -d -m 0700 -o "${uid_gid%:*}" -g "${uid_gid#*:}" "$root/home/deploy/.ssh"
  install -m 0600 -o "${uid_gid%:*}" -g "${uid_gid#*:}" "$CLIENT_KEY.pub" "$root/home/deploy/.ssh/authorized_keys"
}

host_running() { pidfile_alive "$(supervisor_pidfile "$1")" "$(supervisor_marker "$1")"; }

runs_docker() { case " $DOCKER_HOSTS " in *" $1 "*) return 0 ;; esac; return 1; }
# The Docker engine's storage: overlay2 cannot sit on an overlayfs upper layer, so it is a plain
# directory beside the host's layer, bind-mounted at /var/lib/docker and wiped with the layer.
host_docker_dir() { echo "$(host_dir "$1")/docker"; }

# What dockerd needs inside systemd-nspawn (LAB-NOTES "Docker"): writable cgroup controllers
# (the unified-hierarchy switch; without it `docker run` fails on a read-only cpuset), a writable
# /proc/sys/net (dockerd turns on ip_forward and refuses to start when it cannot; the host has its
# own network namespace, so only its own settings change), every capability, the keyring and bpf
# system calls, and its storage off the overlay.
host_nspawn_env() {
  runs_docker "$1" && echo SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 SYSTEMD_NSPAWN_API_VFS_WRITABLE=network
}
host_nspawn_args() {
  runs_docker "$1" || return 0
  printf '%s\n' --capability=all "--system-call-filter=@keyring bpf" "--bind=$(host_docker_dir "$1"):/var/lib/docker"
}

boot_host() {
  local name=$1 log=$LAB_LOGS/host-$1.log extra=()
  rm -f "$(stop_flag "$name")" "$(nspawn_pidfile "$name")"
  if runs_docker "$name"; then
    mkdir -p "$(host_docker_dir "$name")"
    mapfile -t extra < <(host_nspawn_args "$name")
  fi
  # setsid: the host outlives this script; it holds neither the caller's pipes nor the lock (fd 9).
  setsid env $(host_nspawn_env "$name") bash "$LAB_SRC/host-supervisor.sh" "$name" "$(host_overlay "$name")" \
    "/run/netns/$(host_netns "$name")" "$(nspawn_pidfile "$name")" "$(stop_flag "$name")" "${extra[@]}" \
    </dev/null >>"$log" 2>&1 9>&- &
  echo $! >"$(supervisor_pidfile "$name")"
}

# SIGTERM to nspawn powers the host off cleanly; the stop flag keeps the supervisor from
# booting it again. Exactly one SIGTERM per nspawn: a second one makes nspawn SIGKILL the host.
request_host_stop() {
  local nspawn sent
  touch "$(stop_flag "$1")"
  nspawn=$(pid_from_file "$(nspawn_pidfile "$1")")
  sent=$(pid_from_file "$(stop_flag "$1")")
  if [ "$nspawn" != "$sent" ] && pid_runs "$nspawn" "$(nspawn_marker "$1")"; then
    kill -TERM "$nspawn" 2>/dev/null
    echo "$nspawn" >"$(stop_flag "$1")"
  fi
  return 0
}

# Asks again until the supervisor is gone: it may have been between two boots (new nspawn PID).
stop_host() {
  local name=$1 sup nspawn end=$((SECONDS + DEADLINE_STOP))
  sup=$(pid_from_file "$(supervisor_pidfile "$name")")
  while pid_runs "$sup" "$(supervisor_marker "$name")"; do
    request_host_stop "$name"
    nspawn=$(pid_from_file "$(nspawn_pidfile "$name")")
    if [ "$SECONDS" -ge "$end" ]; then
      say "$name did not power off within ${DEADLINE_STOP}s; killing its init (PID namespace goes with it)"
      kill_container "$nspawn" "$name"
      break
    fi
    sleep 0.3
  done
  # A lost supervisor can leave an nspawn behind: it must be gone before the overlay is touched.
  nspawn=$(pid_from_file "$(nspawn_pidfile "$name")")
  if pid_runs "$nspawn" "$(nspawn_marker "$name")"; then
    stop_pid "$nspawn" "$(nspawn_marker "$name")" "systemd-nspawn of $name"
  fi
  pid_gone "$sup" "$(supervisor_marker "$name")" || die "supervisor of $name (PID $sup) is still running"
  rm -f "$(supervisor_pidfile "$name")" "$(nspawn_pidfile "$name")"
}

kill_container() { # the container's init is nspawn's child; killing it ends the PID namespace
  local nspawn=$1 child
  for child in $(pgrep -P "$nspawn" 2>/dev/null); do kill -KILL "$child" 2>/dev/null; done
  wait_until 10 "systemd-nspawn of $2 to exit" pid_gone "$nspawn" "$(nspawn_marker "$2")" ||
    die "systemd-nspawn of $2 (PID $nspawn) does not exit"
}

wait_hosts_ssh() {
  local name pid ok=1 pids=()
  # A running lab answers all at once: one round trip instead of one per host.
  for name in $(host_names); do ssh_answers "$(host_loopback "$name")" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || ok=0; done
  [ "$ok" = 1 ] && return 0
  for name in $(host_names); do wait_host_ssh "$name"; done
}

# A host that answers with another key than its pinned fixture key will not change its mind:
# say so at once instead of waiting out the deadline (the fault a re-keyed host stands for).
ssh_answers_or_refuses_key() {
  local loopback=$1 error
  ssh_answers "$loopback" && return 0
  error=$(ssh_error "$loopback")
  case $error in
    *"Host key verification failed"*|*"REMOTE HOST IDENTIFICATION HAS CHANGED"*)
      die "$loopback presents a host key other than the lab's pinned one ($KNOWN_HOSTS): $error" ;;
  esac
  return 1
}

wait_host_ssh() {
  local name=$1 loopback
  loopback=$(host_loopback "$name")
  if ! wait_until "$DEADLINE_SSH" "$name to accept SSH at $loopback:22" ssh_answers_or_refuses_key "$loopback"; then
    host_running "$name" || say "$name is not running; its console log ends with:"
    host_running "$name" || tail -n 15 "$LAB_LOGS/host-$name.log" >&2
    die "$name does not accept SSH at $loopback:22: $(ssh_error "$loopback") (console: $LAB_LOGS/host-$name.log)"
  fi
}

wipe_host_layer() {
  local dir; dir=$(host_dir "$1")
  host_running "$1" && die "refusing to wipe $1 while it runs"
  unmount_host_overlay "$1"
  # Docker's storage too: a re-flashed host has no images and no containers.
  remove_tree "$dir/upper"; remove_tree "$dir/work"; remove_tree "$(host_docker_dir "$1")"
}
