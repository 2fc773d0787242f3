# The lab's container images (sourced by lab.sh), kept on the NAS's registry like the household's:
# the broker image (test/lab/broker-image.ts: Debian's mosquitto in eclipse-mosquitto's layout, one
# layer from a debootstrap root) is built on this machine and cached under $LAB_IMAGES/mosquitto/
# (rebuilt when broker-image.ts changes its revision), then pushed to nas's docker-registry on every
# `up` (blobs the registry has are skipped), so a new NAS (`wipe-nas`) gets it back on the next up.
# Only after a push does $LAB_IMAGES/manifest.json name it (labImages() in lab.ts):
#   { "eclipse-mosquitto": { "tag": "...", "digest": "sha256:...",
#                            "reference": "nas.lab.home.arpa:5000/eclipse-mosquitto@sha256:..." } }
# The build and the push are TypeScript (the Registry HTTP API v2 calls and the manifest's bytes are
# checked there); this file decides when they run.

LAB_IMAGES=$LAB_DIR/images
LAB_CHECKOUT=$LAB_SRC/../..
DEADLINE_IMAGE_BUILD=1200 # a debootstrap from Debian's mirror, when the cache is stale
DEADLINE_IMAGE_PUSH=300

# The image tool runs from the checkout (tsx resolves from there), on this lab's directory.
images_preflight() {
  (cd "$LAB_CHECKOUT" && node -e 'require.resolve("tsx")' 2>/dev/null) ||
    die "cannot build the lab's images: tsx is not installed in $LAB_CHECKOUT (npm ci)"
}

# broker_image SECONDS LOG ARGS...: runs broker-image.ts with ARGS; dies with the log's tail.
broker_image() {
  local seconds=$1 log=$2; shift 2
  (cd "$LAB_CHECKOUT" && LYRA_LAB_DIR=$LAB_DIR timeout "$seconds" node --import tsx "$LAB_SRC/broker-image.ts" "$@") \
    >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "broker-image.ts $1 failed or exceeded ${seconds}s (log: $log)"; }
}

# Builds the image unless the cache is current. Like the artifacts, before any host boots (a failed
# build leaves the lab as it was) and under its own lock (`lab.sh artifacts` runs without the lab's;
# fd 7 is closed on return, so nothing started later inherits it).
ensure_images() {
  mkdir -p "$LAB_IMAGES" "$LAB_LOGS"
  {
    flock -w "$DEADLINE_LOCK" 7 || die "another image build has held $LAB_IMAGES/.lock for ${DEADLINE_LOCK}s"
    broker_image "$DEADLINE_IMAGE_BUILD" "$LAB_LOGS/image-build.log" build
  } 7>"$LAB_IMAGES/.lock"
}

# Pushes the image to nas's registry through its forwarded port, under the name the hosts pull by.
publish_images() {
  local log=$LAB_LOGS/image-push.log line
  {
    flock -w "$DEADLINE_LOCK" 7 || die "another image build has held $LAB_IMAGES/.lock for ${DEADLINE_LOCK}s"
    broker_image "$DEADLINE_IMAGE_PUSH" "$log" push \
      "http://$(host_loopback "$NAS_HOST"):$NAS_REGISTRY_PORT" "$NAS_HOST.$LAB_DOMAIN:$NAS_REGISTRY_PORT"
  } 7>"$LAB_IMAGES/.lock"
  line=$(tail -n 1 "$log")
  # "<reference> uploaded=<n>": quiet when the registry had every blob already.
  [ "${line##*uploaded=}" = 0 ] || say "published the broker image on nas's registry: ${line% uploaded=*}"
}

# For `lab.sh status`: the recorded digest, and whether nas's registry serves that manifest now.
images_status() {
  nas_in_lab || return 0
  local digest served=no
  digest=$(grep -o '"digest": *"sha256:[0-9a-f]*"' "$LAB_IMAGES/manifest.json" 2>/dev/null | grep -o 'sha256:[0-9a-f]*')
  [ -n "$digest" ] || { echo "broker image: not pushed"; return 0; }
  curl -fsI -o /dev/null --max-time 3 -H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
    "http://$(host_loopback "$NAS_HOST"):$NAS_REGISTRY_PORT/v2/eclipse-mosquitto/manifests/$digest" && served=yes
  echo "broker image: $digest, served by nas's registry: $served"
}
