#!/usr/bin/env bash
# Builds the local base image for machines without a container registry (docker pull is impossible there):
# a minimal Debian bookworm from this machine's own apt mirror, with the Debian packages the stack needs
# (redis-server, prometheus, haproxy, tini, ca-certificates) and this machine's Node.js binary copied in,
# imported as ${REDOUBT_OFFLINE_BASE:-redoubt/offline-base:bookworm}. Every service image builds FROM it
# (BASE_IMAGE build argument); Grafana is not a Debian package, so the offline profile runs without it.
set -euo pipefail

IMAGE="${REDOUBT_OFFLINE_BASE:-redoubt/offline-base:bookworm}"
# Bump when the recipe below changes, so machines that kept an older base rebuild it.
RECIPE=3
if [[ "${1:-}" != "--force" ]] &&
  [[ "$(docker image inspect -f '{{index .Config.Labels "io.redoubt.base-recipe"}}' "$IMAGE" 2>/dev/null)" == "$RECIPE" ]]; then
  echo "• $IMAGE (recipe $RECIPE) already exists (pass --force to rebuild)"
  exit 0
fi

MIRROR="${DEBIAN_MIRROR:-}"
if [[ -z "$MIRROR" ]]; then
  # The first deb URI apt is configured with (deb822 or one-line format).
  MIRROR=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list 2>/dev/null \
    | grep -v security | awk 'NR==1 {print $2}' || true)
fi
if [[ -z "$MIRROR" ]]; then
  echo "build-offline-base: no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list;" >&2
  echo "  set DEBIAN_MIRROR to the URL of a Debian bookworm mirror this machine can reach, e.g." >&2
  echo "  DEBIAN_MIRROR=http://<your mirror>/debian deploy/docker/build-offline-base.sh" >&2
  exit 2
fi
PACKAGES="ca-certificates,tini,redis-server,prometheus,haproxy,curl"

for tool in debootstrap docker; do
  command -v "$tool" >/dev/null || { echo "✗ $tool is missing: apt-get install -y ${tool/docker/docker.io}"; exit 1; }
done

ROOTFS=$(mktemp -d /tmp/redoubt-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
echo "• debootstrap bookworm (minbase) from $MIRROR"
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$ROOTFS" "$MIRROR" >/tmp/redoubt-debootstrap.log 2>&1 \
  || { echo "✗ debootstrap failed; see /tmp/redoubt-debootstrap.log"; tail -20 /tmp/redoubt-debootstrap.log; exit 1; }

echo "• copying node $(node --version) and npm $(npm --version 2>/dev/null) from this machine"
install -m 0755 "$(command -v node)" "$ROOTFS/usr/local/bin/node"
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
mkdir -p "$ROOTFS/usr/local/lib/node_modules"
cp -a "$NPM_DIR" "$ROOTFS/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
# This machine reaches the npm registry through its own CA chain; the image build stage (npm ci) must too.
cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
# Data directories owned like the public images' (redis 999, prometheus nobody) so that the same
# docker-compose.yml runs either base unchanged.
mkdir -p "$ROOTFS/data" "$ROOTFS/prometheus"
chown 999:999 "$ROOTFS/data"
chown 65534:65534 "$ROOTFS/prometheus"
# Trim what a runtime image never needs.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/*

echo "• docker import -> $IMAGE"
tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["/bin/bash"]' \
  --change "LABEL io.redoubt.base-recipe=$RECIPE" \
  - "$IMAGE" >/dev/null
docker run --rm "$IMAGE" sh -c 'node --version && npm --version && redis-server --version && prometheus --version 2>&1 | head -1 && haproxy -v | head -1'
echo "✓ $IMAGE"
