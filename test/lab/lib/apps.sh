# The apps a host's image carries that lyra-fleet does not install (sourced by lab.sh): the
# stand-ins for the unpackaged apps (test/fixtures/standins) and Node-RED, installed the way the
# docs' recovery step installs it. They live in the pristine root, so a wiped host still has them,
# like a re-flashed SD card made from the household's image.

LAB_STANDIN=$LAB_SRC/../fixtures/standins/http-standin.py
# Must match versions.node-red in stacks/Pulumi.lab.yaml.
LAB_NODE_RED_VERSION=4.1.8
DEADLINE_NPM=300

apps_stamp() {
  printf 'standin=%s node-red=%s' "$(sha256sum "$LAB_STANDIN" | cut -c1-16)" "$LAB_NODE_RED_VERSION"
}

bake_apps() {
  local root=$1 path
  for path in /opt/lyra/standins/orchestrator.py /usr/local/bin/qdrant \
      /opt/lyra/stt-service/bin/stt-service /opt/lyra/lyra-client/bin/lyra-client; do
    install -D -m 0755 "$LAB_STANDIN" "$root$path" || die "cannot install the stand-in at $path"
  done
  say "installing Node-RED $LAB_NODE_RED_VERSION into the image (npm)"
  timeout "$DEADLINE_NPM" npm install --prefix "$root/opt/lyra/node-red" --omit=dev --no-audit --no-fund \
      --no-save --loglevel=error "node-red@$LAB_NODE_RED_VERSION" >"$LAB_LOGS/node-red-install.log" 2>&1 ||
    { tail -n 20 "$LAB_LOGS/node-red-install.log" >&2; die "npm install node-red failed or exceeded ${DEADLINE_NPM}s"; }
}
