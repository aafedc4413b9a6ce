#!/bin/sh
# Writes the secret files an overlay's secretGenerator reads (OVERLAY/secrets/<key>), each a fresh random
# value, without a trailing newline (kustomize would keep it in the value). An existing file is kept:
# to rotate a secret, delete its file and run this again. The files are git-ignored; keep them out of
# the repository and back them up where you keep other secrets.
#   usage: deploy/kubernetes/new-secrets.sh deploy/kubernetes/overlays/production
set -eu
overlay=${1:?usage: new-secrets.sh <overlay directory>}
[ -f "$overlay/kustomization.yaml" ] || { echo "new-secrets.sh: $overlay has no kustomization.yaml" >&2; exit 2; }
command -v openssl >/dev/null || { echo "new-secrets.sh: openssl is needed (apt-get install openssl)" >&2; exit 2; }
mkdir -p "$overlay/secrets"
chmod 700 "$overlay/secrets"
umask 077
for key in cluster-token admin-key api-keys redis-password redis-sentinel-password; do
  file="$overlay/secrets/$key"
  if [ -s "$file" ]; then echo "kept    $file"; continue; fi
  printf '%s' "$(openssl rand -hex 24)" > "$file"
  echo "created $file"
done
