# The lab's NAS (sourced by lab.sh): lab infrastructure on the same pristine root as the fleet's
# hosts, provisioned here (never by the fleet), as the household's NAS is set up by hand:
#   - the account `lyra` (SFTP only, the committed key pair in nas-account/): the restic
#     repository root /srv/lyra-backups and the artifact share /srv/lyra-artifacts are its own;
#   - the artifact share served read-only over HTTP on :8081 (python3 http.server as nobody);
#   - a container registry on :5000, Debian's docker-registry (plain HTTP, storage on nas's disk);
#   - a Debian package cache on :3142, Debian's apt-cacher-ng, fetching through the lab's Debian
#     forward: the fleet's hosts install through it (site.nas.aptProxy), and once a package went
#     through it they still can while that forward is cut (`lab.sh offline`; README "apt through nas").
# Provisioning runs over SSH with apt through the lab's Debian forward, once per NAS layer (a stamp
# holds the provisioning script's hash); the .debs it fetched are kept in $NAS_APT_CACHE, so a
# re-provisioned NAS downloads nothing again. The artifacts (lib/artifacts.sh) are copied in on every
# `up` whose files differ, and the lab's images (lib/images.sh) pushed to the registry once it answers.

NAS_ACCOUNT=lyra
NAS_BACKUPS=/srv/lyra-backups
NAS_ARTIFACTS=/srv/lyra-artifacts
NAS_ARTIFACTS_PORT=8081
NAS_REGISTRY_PORT=5000
NAS_APT_CACHE_PORT=3142
NAS_PACKAGES="docker-registry apt-cacher-ng"
# The fleet's NAS key pair (the lab stack's nasSshKey secret). git keeps files 0644, ssh wants
# its identity private: tests use the 0600 copy.
NAS_ACCOUNT_KEY_FIXTURE=$LAB_SRC/nas-account/id_ed25519
NAS_ACCOUNT_KEY=$LAB_DIR/nas-account-key
NAS_APT_CACHE=$LAB_DIR/cache/nas-apt
NAS_STAMP=/var/lib/lyra-lab/nas.stamp
DEADLINE_NAS_PROVISION=600
DEADLINE_NAS_SERVICES=30

nas_in_lab() { [ -n "$(host_line "$NAS_HOST")" ]; }

# The script run as root on the NAS; everything in it is idempotent.
nas_provision_script() {
  cat <<EOF
set -eu
export DEBIAN_FRONTEND=noninteractive
missing=""
for package in $NAS_PACKAGES; do
  dpkg-query -W -f='\${Status}' "\$package" 2>/dev/null | grep -q 'ok installed' || missing="\$missing \$package"
done
if [ -n "\$missing" ]; then
  apt-get update -qq -o Acquire::Retries=3
  apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 \$missing
fi

id $NAS_ACCOUNT >/dev/null 2>&1 || useradd --create-home --user-group --shell /bin/sh $NAS_ACCOUNT
install -d -m 0755 /srv
install -d -o $NAS_ACCOUNT -g $NAS_ACCOUNT -m 0700 $NAS_BACKUPS
install -d -o $NAS_ACCOUNT -g $NAS_ACCOUNT -m 0755 $NAS_ARTIFACTS
install -d -o $NAS_ACCOUNT -g $NAS_ACCOUNT -m 0700 /home/$NAS_ACCOUNT/.ssh
printf '%s\n' '$(cut -d' ' -f1,2 "$NAS_ACCOUNT_KEY_FIXTURE.pub")' >/home/$NAS_ACCOUNT/.ssh/authorized_keys
chown $NAS_ACCOUNT:$NAS_ACCOUNT /home/$NAS_ACCOUNT/.ssh/authorized_keys
chmod 0600 /home/$NAS_ACCOUNT/.ssh/authorized_keys

# A NAS account for backups gets files, not a shell.
cat >/etc/ssh/sshd_config.d/lyra-nas.conf <<'CONF'
Match User $NAS_ACCOUNT
    ForceCommand internal-sftp
    AllowTcpForwarding no
    X11Forwarding no
    PermitTTY no
CONF
sshd -t
systemctl reload ssh

# Read-only by construction: http.server answers GET and HEAD only, and nobody owns no file.
cat >/etc/systemd/system/lyra-artifacts-http.service <<'UNIT'
[Unit]
Description=The lyra artifact share, read-only over HTTP (lab NAS)
After=network.target

[Service]
ExecStart=/usr/bin/python3 -m http.server $NAS_ARTIFACTS_PORT --bind 0.0.0.0 --directory $NAS_ARTIFACTS
User=nobody
Group=nogroup
NoNewPrivileges=yes
Restart=always

[Install]
WantedBy=multi-user.target
UNIT

install -d -m 0755 /etc/docker/registry
cat >/etc/docker/registry/config.yml <<'CONF'
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: /var/lib/docker-registry
  delete:
    enabled: true
http:
  addr: :$NAS_REGISTRY_PORT
CONF

# Settings beside Debian's acng.conf, which stays as packaged (see the README for why each one).
cat >/etc/apt-cacher-ng/zz-lyra-lab.conf <<'CONF'
$(nas_acng_conf)
CONF
# Where /debian/ requests go: the lab's mirror. As debconf left this file, acng answered every
# /debian/ request with 503 "Resource temporarily unavailable" (debian-security, remapped in
# acng.conf itself, worked).
printf '%s\n' 'http://deb.debian.org/debian/' >/etc/apt-cacher-ng/backends_debian

# apt-cacher-ng checks every index file (InRelease) upstream before serving it and answers 503
# when it cannot, so with the internet down no wiped host could even \`apt-get update\`. In
# Offlinemode it serves what it has and contacts nobody, but then it fetches nothing new either.
# This guard switches Offlinemode on while Debian's mirror does not answer and off when it does.
cat >/usr/local/sbin/lyra-apt-cache-guard <<'GUARD'
$(nas_apt_cache_guard)
GUARD
chmod 0755 /usr/local/sbin/lyra-apt-cache-guard
cat >/etc/systemd/system/lyra-apt-cache-guard.service <<'UNIT'
[Unit]
Description=apt-cacher-ng in Offlinemode while Debian's mirror is unreachable (lab NAS)
After=apt-cacher-ng.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lyra-apt-cache-guard
UNIT
cat >/etc/systemd/system/lyra-apt-cache-guard.timer <<'UNIT'
[Unit]
Description=Check Debian's mirror every few seconds for apt-cacher-ng (lab NAS)

[Timer]
OnBootSec=2s
OnUnitActiveSec=5s
AccuracySec=1s

[Install]
WantedBy=timers.target
UNIT

systemctl daemon-reload
systemctl enable --quiet lyra-artifacts-http.service docker-registry.service apt-cacher-ng.service \
  lyra-apt-cache-guard.timer
systemctl restart lyra-artifacts-http.service docker-registry.service apt-cacher-ng.service \
  lyra-apt-cache-guard.timer
EOF
}

# apt-cacher-ng's settings on nas (a conf file of its own).
nas_acng_conf() {
  cat <<CONF
Port: $NAS_APT_CACHE_PORT
BindAddress: 0.0.0.0
CONF
}

# The guard run by lyra-apt-cache-guard.timer: one HEAD request to the mirror, a restart of
# apt-cacher-ng only when the answers change whether it must work offline.
NAS_APT_CACHE_OFFLINE_CONF=/etc/apt-cacher-ng/zz-lyra-offline.conf
NAS_APT_CACHE_GUARD_FAILURES=/run/lyra-apt-cache-guard.failures
nas_apt_cache_guard() {
  cat <<GUARD
#!/bin/sh
set -u
if python3 -c '
import sys, urllib.request
request = urllib.request.Request("http://deb.debian.org/debian/dists/$ROOTFS_SUITE/InRelease", method="HEAD")
try:
    urllib.request.urlopen(request, timeout=5)
except Exception:
    sys.exit(1)
'; then failures=0; else failures=\$((\$(cat $NAS_APT_CACHE_GUARD_FAILURES 2>/dev/null || echo 0) + 1)); fi
echo "\$failures" >$NAS_APT_CACHE_GUARD_FAILURES
# Offline only after 3 failed checks in a row (about 15 s): one slow answer must not switch it.
offline=0; [ "\$failures" -lt 3 ] || offline=1
was=0; [ -e $NAS_APT_CACHE_OFFLINE_CONF ] && was=1
[ "\$offline" = "\$was" ] && exit 0
if [ "\$offline" = 1 ]; then
  echo 'Offlinemode: 1' >$NAS_APT_CACHE_OFFLINE_CONF
  echo "Debian's mirror does not answer: apt-cacher-ng serves its cache only (Offlinemode)"
else
  rm -f $NAS_APT_CACHE_OFFLINE_CONF
  echo "Debian's mirror answers again: apt-cacher-ng fetches again"
fi
systemctl restart apt-cacher-ng.service
GUARD
}

nas_stamp_wanted() { nas_provision_script | sha256sum | cut -d' ' -f1; }
nas_stamp_file() { echo "$(host_overlay "$NAS_HOST")$NAS_STAMP"; }

provision_nas() {
  local root log=$LAB_LOGS/nas-provision.log
  root=$(host_overlay "$NAS_HOST")
  say "provisioning nas (apt: $NAS_PACKAGES; log: $log)"
  mkdir -p "$NAS_APT_CACHE"
  cp -n "$NAS_APT_CACHE"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null
  if ! nas_provision_script | timeout "$DEADLINE_NAS_PROVISION" ssh "${SSH_OPTS[@]}" "root@$(host_loopback "$NAS_HOST")" \
      bash -s >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "provisioning nas failed or exceeded ${DEADLINE_NAS_PROVISION}s (log: $log)"
  fi
  cp -n "$root"/var/cache/apt/archives/*.deb "$NAS_APT_CACHE/" 2>/dev/null
  mkdir -p "$(dirname "$(nas_stamp_file)")"
  nas_stamp_wanted >"$(nas_stamp_file)"
}

# Copies each manifest file into the share, owned by the NAS account as if it had uploaded it.
# Earlier versions stay: pinning a version back must find its archive.
publish_artifacts() {
  local root owner key version file target changed=0
  root=$(host_overlay "$NAS_HOST")
  owner=$(awk -F: -v u="$NAS_ACCOUNT" '$1 == u {print $3 ":" $4}' "$root/etc/passwd")
  [ -n "$owner" ] || die "nas has no account $NAS_ACCOUNT (provisioning did not run?)"
  while read -r key version file; do
    target=$root$NAS_ARTIFACTS/$key/$version/$file
    cmp -s "$LAB_ARTIFACTS/$key/$version/$file" "$target" && continue
    install -d -o "${owner%:*}" -g "${owner#*:}" -m 0755 "$root$NAS_ARTIFACTS/$key" "$root$NAS_ARTIFACTS/$key/$version"
    install -o "${owner%:*}" -g "${owner#*:}" -m 0644 "$LAB_ARTIFACTS/$key/$version/$file" "$target.lab-new" &&
      mv "$target.lab-new" "$target" || die "cannot copy $file to nas:$NAS_ARTIFACTS/$key/$version/"
    changed=$((changed + 1))
  done < <(manifest_entries)
  [ "$changed" -eq 0 ] || say "published $changed artifact(s) on nas:$NAS_ARTIFACTS"
}

nas_http_ok() { curl -fs -o /dev/null --max-time 3 "$1"; }
nas_services_answer() {
  local address; address=$(host_loopback "$NAS_HOST")
  nas_http_ok "http://$address:$NAS_ARTIFACTS_PORT/" && nas_http_ok "http://$address:$NAS_REGISTRY_PORT/v2/" &&
    nas_apt_cache_answers "$address"
}
# apt-cacher-ng answers its own report page (acng-report.html is on by default).
nas_apt_cache_answers() { nas_http_ok "http://$1:$NAS_APT_CACHE_PORT/acng-report.html"; }

ensure_nas() {
  nas_in_lab || return 0
  install -m 0600 "$NAS_ACCOUNT_KEY_FIXTURE" "$NAS_ACCOUNT_KEY" || die "cannot install $NAS_ACCOUNT_KEY"
  [ "$(cat "$(nas_stamp_file)" 2>/dev/null)" = "$(nas_stamp_wanted)" ] || provision_nas
  publish_artifacts
  wait_until "$DEADLINE_NAS_SERVICES" "nas's artifact share (:$NAS_ARTIFACTS_PORT), registry (:$NAS_REGISTRY_PORT) and package cache (:$NAS_APT_CACHE_PORT)" \
    nas_services_answer || die "nas does not serve its artifact share, registry and package cache (log: $LAB_LOGS/nas-provision.log)"
  publish_images
}

nas_status() {
  nas_in_lab || return 0
  local address share=down registry=down cache=down provisioned=no
  address=$(host_loopback "$NAS_HOST")
  nas_http_ok "http://$address:$NAS_ARTIFACTS_PORT/" && share=up
  nas_http_ok "http://$address:$NAS_REGISTRY_PORT/v2/" && registry=up
  nas_apt_cache_answers "$address" && cache=up
  [ "$(cat "$(nas_stamp_file)" 2>/dev/null)" = "$(nas_stamp_wanted)" ] && provisioned=yes
  echo "nas: provisioned $provisioned, artifact share :$NAS_ARTIFACTS_PORT $share, registry :$NAS_REGISTRY_PORT $registry, package cache :$NAS_APT_CACHE_PORT $cache"
}
