# TCP forwarders between namespaces (sourced by lab.sh). Each runs under forward-supervisor.sh,
# which starts it again if it ever ends (see there): systemd-socket-activate opens the listening
# socket in the namespace it runs in, then execs (same PID) nsenter, which execs
# systemd-socket-proxyd in the namespace that can reach the target.

forward_pidfile() { echo "$LAB_RUN/forward-$1.pid"; }
# The supervisor's command line names the forwarder; its PID is the one in the PID file.
FORWARD_SUPERVISOR=forward-supervisor.sh
forward_marker() { echo "$FORWARD_SUPERVISOR $1 $2 $3"; } # LISTEN TARGET_NETNS TARGET

# start_forward ID LISTEN_NETNS LISTEN_ADDR TARGET_NETNS TARGET
# LISTEN_NETNS "" means the root namespace (the one lab.sh runs in).
start_forward() {
  local id=$1 listen_ns=$2 listen=$3 target_ns=$4 target=$5 pidfile pid log
  pidfile=$(forward_pidfile "$id"); log=$LAB_LOGS/forward-$id.log
  pidfile_alive "$pidfile" "$(forward_marker "$listen" "$target_ns" "$target")" && return 0
  # setsid: the forwarder outlives this script; it holds neither the caller's pipes nor the lock (fd 9).
  SOCKET_PROXYD=$SOCKET_PROXYD setsid bash "$LAB_SRC/$FORWARD_SUPERVISOR" "$listen" "$target_ns" "$target" "$listen_ns" \
    </dev/null >>"$log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$pidfile"
  wait_until "$DEADLINE_LISTEN" "forwarder $listen -> $target to listen" \
    forward_settled "$pid" "$listen_ns" "$listen"
  forward_listening "$pid" "$listen_ns" "$listen" ||
    die "forwarder $listen -> $target did not start: $(tail -n 1 "$log") (log: $log)"
}

# Settled: listening, or its supervisor has ended. Ended means gone (`kill -0`), not "no longer runs
# forward-supervisor.sh": right after the fork the child still shows this script's command line until
# it execs setsid, and a check in that moment (CI under load, once) took a starting forwarder for a
# dead one.
forward_settled() { forward_listening "$@" || ! kill -0 "$1" 2>/dev/null; }
forward_alive() { pid_runs "$1" "$FORWARD_SUPERVISOR"; }

forward_listening() { # SUPERVISOR_PID NETNS ADDR:PORT
  forward_alive "$1" || return 1
  local in=() pid
  [ -n "$2" ] && in=(ip netns exec "$2")
  # Listening by this supervisor's forwarder: another program may hold the address (then we must fail).
  for pid in $("${in[@]}" ss -Hltnp "src $3" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2); do
    [ "$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" = "$1" ] && return 0
  done
  return 1
}

# The internet as the lab's hosts see it is this one forward: every host, nas included, reaches
# Debian's mirror only through it. `lab.sh offline` cuts it (and leaves a flag, so that an `up` or
# a `wipe` in between keeps it cut); `lab.sh online` and `lab.sh down` restore it.
offline_flag() { echo "$LAB_RUN/offline"; }
lab_offline() { [ -e "$(offline_flag)" ]; }
start_mirror_forward() {
  # apt inside the hosts: gateway:80 -> Debian's mirror, dialled from the root namespace.
  start_forward mirror "$LAB_NETNS" "$LAB_GATEWAY:80" "$ROOT_NETNS_HANDLE" "$MIRROR_UPSTREAM"
}
cut_mirror_forward() { touch "$(offline_flag)"; stop_forwards mirror; }
restore_mirror_forward() { rm -f "$(offline_flag)"; start_mirror_forward; }

ensure_forwards() {
  local name port loopback internal
  [ -z "${LAB_NETNS_RECREATED:-}" ] || stop_forwards
  lab_offline || start_mirror_forward
  for name in $(host_names); do
    loopback=$(host_loopback "$name"); internal=$(host_internal "$name")
    for port in $(host_ports "$name"); do
      start_forward "$name-$port" "" "$loopback:$port" "$LAB_NETNS" "$internal:$port"
    done
  done
}

stop_forwards() { # [ID_GLOB]: only the forwarders whose id matches (default: all)
  local pidfile pid
  for pidfile in "$LAB_RUN"/forward-${1:-*}.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(pid_from_file "$pidfile")
    stop_pid "$pid" "$FORWARD_SUPERVISOR" "forwarder $(basename "$pidfile" .pid)"
    rm -f "$pidfile"
  done
}

forwards_status() {
  local pidfile up=0 total=0
  for pidfile in "$LAB_RUN"/forward-*.pid; do
    [ -e "$pidfile" ] || continue
    total=$((total + 1))
    pidfile_alive "$pidfile" "$FORWARD_SUPERVISOR" && up=$((up + 1))
  done
  echo "forwarders: $up of $total running"
  if lab_offline; then echo "package forward (deb.debian.org:80): cut (lab.sh online restores it)"; fi
}
