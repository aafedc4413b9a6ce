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
# write FILE VALUE: a secret file, unless it exists already (kept).
write() {
  if [ -s "$1" ]; then echo "kept    $1"; return; fi
  printf '%s' "$2" > "$1"
  echo "created $1"
}
for key in cluster-token admin-key api-keys redis-password redis-sentinel-password; do
  write "$overlay/secrets/$key" "$(openssl rand -hex 24)"
done
# Backup encryption and manifest signing: 32 random bytes each. Keep copies off the cluster: backups
# cannot be read without them (docs/runbooks/backup-keys.md).
for key in backup-encryption-key backup-signing-key; do
  write "$overlay/secrets/$key" "$(openssl rand -hex 32)"
done
# The S3 target's key pair. It belongs to your object store: pass the one it gave you
# (BACKUP_S3_ACCESS_KEY_ID=... BACKUP_S3_SECRET_ACCESS_KEY=... new-secrets.sh <overlay>), or let this
# script pick a random pair and create the key with it (MinIO: mc admin user add <alias> <id> <secret>;
# Garage: garage key import <id> <secret>, ids starting GK). AWS makes its own: pass that one.
if [ -n "${BACKUP_S3_ACCESS_KEY_ID:-}" ] || [ -n "${BACKUP_S3_SECRET_ACCESS_KEY:-}" ]; then
  : "${BACKUP_S3_ACCESS_KEY_ID:?set both BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY, or neither}"
  : "${BACKUP_S3_SECRET_ACCESS_KEY:?set both BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY, or neither}"
  write "$overlay/secrets/backup-s3-access-key-id" "$BACKUP_S3_ACCESS_KEY_ID"
  write "$overlay/secrets/backup-s3-secret-access-key" "$BACKUP_S3_SECRET_ACCESS_KEY"
else
  write "$overlay/secrets/backup-s3-access-key-id" "GK$(openssl rand -hex 12)"
  write "$overlay/secrets/backup-s3-secret-access-key" "$(openssl rand -hex 32)"
fi
