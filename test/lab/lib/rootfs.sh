# The pristine Debian root every lab host overlays (sourced by lab.sh).

# Only what a freshly flashed host has before the fleet touches it: the fleet installs
# its own packages (mosquitto, rsync, curl, ...) through apt, and the tests prove that works.
# netbase gives /etc/services and /etc/protocols, which every Raspberry Pi OS image has.
# python3 is in every Raspberry Pi OS image too; the lab's stand-in apps (artifacts on the NAS,
# lib/artifacts.sh) run on it. No app is baked in: the fleet installs them all.
ROOTFS_PACKAGES="systemd,systemd-sysv,dbus,openssh-server,sudo,ca-certificates,iproute2,procps,python3,netbase"
ROOTFS_SUITE=bookworm
ROOTFS_MIRROR=http://deb.debian.org/debian
# Bump when customize_rootfs changes what the pristine root contains.
ROOTFS_REVISION=4
ROOTFS_STAMP=$LAB_DIR/rootfs.stamp

rootfs_wanted_stamp() {
  printf 'suite=%s\nmirror=%s\npackages=%s\nrevision=%s\n' \
    "$ROOTFS_SUITE" "$ROOTFS_MIRROR" "$ROOTFS_PACKAGES" "$ROOTFS_REVISION"
}

rootfs_is_current() {
  [ -x "$LAB_ROOTFS/usr/lib/systemd/systemd" ] && [ -f "$ROOTFS_STAMP" ] &&
    [ "$(cat "$ROOTFS_STAMP")" = "$(rootfs_wanted_stamp)" ]
}

# Removes a tree that may still have mounts inside (an interrupted debootstrap leaves /proc
# mounted in its target): unmount first, and never cross into another file system.
remove_tree() {
  local dir=$1 mnt
  [ -e "$dir" ] || return 0
  findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0, d) == 1' | sort -r | while read -r mnt; do
    umount -l "$mnt" || die "cannot unmount $mnt"
  done
  rm -rf --one-file-system "$dir" || die "cannot remove $dir"
}

build_rootfs() {
  local target=$LAB_DIR/rootfs.building log=$LAB_LOGS/debootstrap.log
  say "building the pristine Debian $ROOTFS_SUITE root (debootstrap, about a minute; log: $log)"
  remove_tree "$target"
  if ! timeout "$DEADLINE_ROOTFS" debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" \
      "$ROOTFS_SUITE" "$target" "$ROOTFS_MIRROR" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "debootstrap failed or exceeded ${DEADLINE_ROOTFS}s (full log: $log)"
  fi
  customize_rootfs "$target"
  remove_tree "$LAB_ROOTFS"
  mv "$target" "$LAB_ROOTFS"
  rootfs_wanted_stamp >"$ROOTFS_STAMP"
}

customize_rootfs() {
  local root=$1
  # The fleet tests the sudo path with a non-root user, as on the real Raspberry Pis.
  chroot "$root" useradd --create-home --shell /bin/bash deploy || die "cannot create user deploy"
  printf 'deploy ALL=(ALL:ALL) NOPASSWD: ALL\n' >"$root/etc/sudoers.d/deploy"
  chmod 0440 "$root/etc/sudoers.d/deploy"

  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

  # Per-host identity is written when a host is prepared, never shared from here.
  rm -f "$root"/etc/ssh/ssh_host_* "$root/etc/hostname" "$root/var/lib/dbus/machine-id"
  : >"$root/etc/machine-id"
  # Only the lab's own key type: sshd offers exactly the key the stack file pins.
  printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nPasswordAuthentication no\n' \
    >"$root/etc/ssh/sshd_config.d/lab.conf"
  # Hosts resolve through /etc/hosts only; there is no DNS server in the lab network.
  rm -f "$root/etc/resolv.conf"
  printf '# lab hosts resolve names through /etc/hosts only\n' >"$root/etc/resolv.conf"
  # apt's daily timers would take the dpkg lock at random moments, under the fleet's own apt runs.
  ln -sf /dev/null "$root/etc/systemd/system/apt-daily.timer"
  ln -sf /dev/null "$root/etc/systemd/system/apt-daily-upgrade.timer"
  rm -f "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_Packages
}
