#!/usr/bin/env bash
# Installs the workspace's npm packages exactly as locked: `npm ci`, falling back to `npm install` (which
# keeps every locked version) only when npm ci refuses the lock because the registry mirror of this
# machine does not serve other platforms' optional binaries (e.g. @msgpackr-extract/*-darwin-arm64):
# npm then leaves them out of the lock and `npm ci` reports the lock "out of sync". See
# docs/decisions/0003-npm-ci-on-a-filtered-registry.md.
set -uo pipefail
log=$(mktemp)
if npm ci --no-audit --no-fund "$@" 2>"$log"; then rm -f "$log"; exit 0; fi
if grep -q "can only install packages when your package.json and package-lock.json" "$log"; then
  echo "• npm ci refused the lock (optional platform packages missing from this registry): npm install instead"
  rm -f "$log"
  exec npm install --no-audit --no-fund "$@"
fi
cat "$log" >&2; rm -f "$log"; exit 1
