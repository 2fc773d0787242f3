# Network namespaces of the lab (sourced by lab.sh).
#
#   root namespace      127.0.0.N:PORT  --forwarders-->  host N
#   lab namespace       bridge lab-br0 10.77.0.1/24, apt mirror forward on :80
#   host namespaces     eth0 10.77.0.N/24 (veth onto lab-br0), default route via 10.77.0.1

ensure_lab_netns() {
  if ! netns_usable "$LAB_NETNS"; then
    ip netns delete "$LAB_NETNS" 2>/dev/null
    ip netns add "$LAB_NETNS" || die "cannot create network namespace $LAB_NETNS"
    LAB_NETNS_RECREATED=1  # forwarders still bound to an old one must be restarted
  fi
  # Only now: the first 'ip netns add' bind-mounts /run/netns over itself and would hide
  # a handle made before it.
  ensure_root_netns_handle
  ip -n "$LAB_NETNS" link set lo up
  if ! ip -n "$LAB_NETNS" link show "$LAB_BRIDGE" >/dev/null 2>&1; then
    ip -n "$LAB_NETNS" link add "$LAB_BRIDGE" type bridge || die "cannot create bridge $LAB_BRIDGE"
  fi
  ip -n "$LAB_NETNS" addr replace "$LAB_GATEWAY/$LAB_PREFIX_LEN" dev "$LAB_BRIDGE" || die "cannot address $LAB_BRIDGE"
  ip -n "$LAB_NETNS" link set "$LAB_BRIDGE" up
}

# The forwarder for the apt mirror listens inside the lab namespace but must dial out from
# the root namespace; it gets there through this handle.
ensure_root_netns_handle() {
  local mine theirs=""
  mine=$(readlink /proc/self/ns/net)
  if [ -e "/run/netns/$ROOT_NETNS_HANDLE" ]; then
    theirs=$(nsenter --net="/run/netns/$ROOT_NETNS_HANDLE" readlink /proc/self/ns/net 2>/dev/null)
  fi
  [ "$theirs" = "$mine" ] && return 0
  ip netns delete "$ROOT_NETNS_HANDLE" 2>/dev/null
  ip netns attach "$ROOT_NETNS_HANDLE" $$ || die "cannot create handle /run/netns/$ROOT_NETNS_HANDLE"
  theirs=$(nsenter --net="/run/netns/$ROOT_NETNS_HANDLE" readlink /proc/self/ns/net 2>/dev/null)
  [ "$theirs" = "$mine" ] || die "/run/netns/$ROOT_NETNS_HANDLE does not enter the root network namespace"
}

ensure_host_netns() {
  local name=$1 ns veth internal
  ns=$(host_netns "$name"); veth="vh-$name"; internal=$(host_internal "$name")
  if ! netns_usable "$ns"; then
    ip netns delete "$ns" 2>/dev/null
    ip netns add "$ns" || die "cannot create network namespace $ns"
  fi
  ip -n "$ns" link set lo up
  if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
    ip -n "$LAB_NETNS" link del "$veth" 2>/dev/null
    ip -n "$LAB_NETNS" link add "$veth" type veth peer name eth0 netns "$ns" ||
      die "cannot create veth $veth for $name"
  fi
  ip -n "$LAB_NETNS" link set "$veth" master "$LAB_BRIDGE" up || die "cannot attach $veth to $LAB_BRIDGE"
  ip -n "$ns" addr replace "$internal/$LAB_PREFIX_LEN" dev eth0 || die "cannot address eth0 of $name"
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route replace default via "$LAB_GATEWAY" dev eth0 || die "cannot route $name via $LAB_GATEWAY"
}

ensure_network() {
  local name
  ensure_lab_netns
  for name in $(host_names); do ensure_host_netns "$name"; done
}

# Host namespaces first, the root handle last. Deleting a namespace nothing runs in also
# deletes its veth, so call this after the hosts and forwarders are gone.
lab_netns_handles() {
  local name
  for name in $(host_names); do host_netns "$name"; done
  echo "$LAB_NETNS"; echo "$ROOT_NETNS_HANDLE"
}

remove_network() {
  local ns
  for ns in $(lab_netns_handles); do
    ip netns delete "$ns" 2>/dev/null
    [ ! -e "/run/netns/$ns" ] || die "cannot remove network namespace handle /run/netns/$ns"
  done
}

network_status() {
  local ns
  for ns in $(lab_netns_handles); do
    if netns_usable "$ns"; then echo "netns $ns: up"; else echo "netns $ns: absent"; fi
  done
}
