# Shared settings and helpers for the lab scripts (sourced by lab.sh, bash).

LAB_DIR=${LYRA_LAB_DIR:-/var/lib/lyra-fleet-lab}
LAB_RUN=$LAB_DIR/run         # PID files and stop flags
LAB_LOGS=$LAB_DIR/logs
LAB_ROOTFS=$LAB_DIR/rootfs   # the pristine root every host overlays
CLIENT_KEY=$LAB_DIR/id_ed25519
KNOWN_HOSTS=$LAB_DIR/known_hosts
# Extra mirrors (mirror-2..mirror-N, lib/mirrors.sh): their hosts table and host keys are
# generated here, never committed; the table lists them until `down` or a smaller `up`.
EXTRA_HOSTS_FILE=$LAB_DIR/extra-hosts.txt
GENERATED_HOSTKEYS=$LAB_DIR/hostkeys

# Namespace names are machine-wide (/run/netns), so one lab per machine.
LAB_NETNS=lyra-lab             # holds the bridge every host's veth plugs into
ROOT_NETNS_HANDLE=lyra-lab-root  # lets forwarders started in the lab namespace dial out
HOST_NETNS_PREFIX=lyra-lab-
LAB_BRIDGE=lab-br0
LAB_GATEWAY=10.77.0.1
LAB_PREFIX_LEN=24
# TCP ports of each host reachable from the root namespace at its loopback address.
FORWARDED_PORTS="22 1880 1883 6333 8000 8001 8200 8300 9090 9100"
# Extra mirrors are reached over SSH only (the fleet's health gates run on the host itself):
# 10 forwarders per host would be 190 more processes in a 20-mirror lab.
EXTRA_FORWARDED_PORTS="22"
# The NAS (lib/nas.sh) is lab infrastructure: SSH/SFTP, the artifact share, the registry, the package cache.
NAS_HOST=nas
NAS_FORWARDED_PORTS="22 8081 5000 3142"
# apt inside the hosts reaches Debian through the gateway; these names resolve to it there.
MIRROR_NAMES="deb.debian.org"
MIRROR_UPSTREAM=deb.debian.org:80
LAB_DOMAIN=lab.home.arpa
# Hosts that run a real Docker engine (the broker host in docker mode): booted with what dockerd
# needs inside systemd-nspawn, and /var/lib/docker on a plain directory (lib/hosts.sh).
DOCKER_HOSTS="vega"

SOCKET_PROXYD=/lib/systemd/systemd-socket-proxyd
[ -x "$SOCKET_PROXYD" ] || SOCKET_PROXYD=/usr/lib/systemd/systemd-socket-proxyd

# Deadlines, in seconds.
DEADLINE_ROOTFS=900
DEADLINE_LOCK=1200   # longer than a rootfs build, which holds the lock
DEADLINE_SSH=90
DEADLINE_STOP=30
DEADLINE_LISTEN=10

say() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# The hosts table: "name loopback internal" per line; the committed hosts, then any extra mirrors.
committed_hosts() { grep -v '^[[:space:]]*\(#\|$\)' "$LAB_SRC/hosts.txt"; }
extra_hosts() { [ ! -s "$EXTRA_HOSTS_FILE" ] || grep -v '^[[:space:]]*\(#\|$\)' "$EXTRA_HOSTS_FILE"; }
lab_hosts() { committed_hosts; extra_hosts; }
host_line() { lab_hosts | awk -v n="$1" '$1 == n'; }
host_names() { lab_hosts | awk '{print $1}'; }
require_host() {
  [ -n "$(host_line "$1")" ] || die "unknown lab host '$1' (known: $(echo $(host_names)))"
}
host_loopback() { host_line "$1" | awk '{print $2}'; }
host_internal() { host_line "$1" | awk '{print $3}'; }
host_netns() { echo "$HOST_NETNS_PREFIX$1"; }
host_dir() { echo "$LAB_DIR/hosts/$1"; }
is_extra_host() { extra_hosts | awk -v n="$1" '$1 == n {found = 1} END {exit !found}'; }
host_fixture_dir() { # committed keys for the committed hosts, generated ones for extra mirrors
  if [ -d "$LAB_SRC/hostkeys/$1" ]; then echo "$LAB_SRC/hostkeys/$1"; else echo "$GENERATED_HOSTKEYS/$1"; fi
}
host_ports() {
  if is_extra_host "$1"; then echo "$EXTRA_FORWARDED_PORTS"
  elif [ "$1" = "$NAS_HOST" ]; then echo "$NAS_FORWARDED_PORTS"
  else echo "$FORWARDED_PORTS"; fi
}
# The fleet's hosts: every lab host but the NAS.
fleet_host_names() { host_names | grep -vx "$NAS_HOST"; }

# wait_until SECONDS WHAT COMMAND...: polls COMMAND until it succeeds; dies naming WHAT.
wait_until() {
  local seconds=$1 what=$2; shift 2
  local end=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || { say "timed out after ${seconds}s waiting for $what"; return 1; }
    sleep 0.2
  done
}

# A PID file is trusted only while its process still runs the command we started:
# PIDs get reused, and everything here runs as root on a shared machine.
pid_from_file() { [ -s "$1" ] && head -n1 "$1"; }
pid_runs() { # pid_runs PID TEXT: the process exists and its command line contains TEXT
  [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}
pid_gone() { ! pid_runs "$1" "$2"; }
pidfile_alive() { # pidfile_alive FILE TEXT
  local pid; pid=$(pid_from_file "$1") && pid_runs "$pid" "$2"
}

# stop_pid PID TEXT WHAT: SIGTERM, confirm gone, SIGKILL only after the deadline.
stop_pid() {
  local pid=$1 text=$2 what=$3
  pid_runs "$pid" "$text" || return 0
  kill -TERM "$pid" 2>/dev/null
  if ! wait_until "$DEADLINE_STOP" "$what (PID $pid) to exit" pid_gone "$pid" "$text"; then
    say "sending SIGKILL to $what (PID $pid)"
    kill -KILL "$pid" 2>/dev/null
    wait_until 5 "$what (PID $pid) to die" pid_gone "$pid" "$text" || die "$what (PID $pid) survived SIGKILL"
  fi
}

# Runs COMMAND in the namespace behind HANDLE; the handle counts only if entering it works
# (LAB-NOTES: a handle can be hidden under the /run/netns bind mount).
netns_usable() { [ -e "/run/netns/$1" ] && nsenter --net="/run/netns/$1" true 2>/dev/null; }

# The same ssh options lab.ts uses: only the lab key, only the fixture host keys.
SSH_OPTS=(-F /dev/null -i "$CLIENT_KEY" -o IdentitiesOnly=yes -o BatchMode=yes
  -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null
  -o ConnectTimeout=3 -o LogLevel=ERROR -p 22)
ssh_error() { timeout 10 ssh "${SSH_OPTS[@]}" "root@$1" true </dev/null 2>&1 | tail -n 1; }
ssh_answers() { timeout 10 ssh "${SSH_OPTS[@]}" "root@$1" true </dev/null >/dev/null 2>&1; }
