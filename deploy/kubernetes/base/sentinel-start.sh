#!/bin/sh
# Starts one sentinel of redoubt-sentinel. It monitors the master the other sentinels name, or pod 0 of
# redoubt-redis on a first start. Sentinel rewrites its config file, so it lives in an emptyDir; the
# passwords come from the environment.
set -eu
me="${HOSTNAME}.redoubt-sentinel"
conf=/run/sentinel/sentinel.conf
umask 077
master=""
for sentinel in $(echo "$REDIS_SENTINELS" | tr ',' ' '); do
  [ "${sentinel%:*}" = "$me" ] && continue
  master=$(REDISCLI_AUTH="$REDIS_SENTINEL_PASSWORD" redis-cli -h "${sentinel%:*}" -p "${sentinel##*:}" \
    --raw SENTINEL get-master-addr-by-name "$REDIS_SENTINEL_NAME" 2>/dev/null | head -n 1) || master=""
  [ -n "$master" ] && break
done
[ -n "$master" ] || master="redoubt-redis-0.redoubt-redis"
cat > "$conf" <<CONF
port 26379
dir /run/sentinel
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip ${me}
requirepass ${REDIS_SENTINEL_PASSWORD}
sentinel sentinel-pass ${REDIS_SENTINEL_PASSWORD}
sentinel monitor ${REDIS_SENTINEL_NAME} ${master} 6379 ${SENTINEL_QUORUM}
sentinel auth-pass ${REDIS_SENTINEL_NAME} ${REDIS_PASSWORD}
sentinel down-after-milliseconds ${REDIS_SENTINEL_NAME} 5000
sentinel failover-timeout ${REDIS_SENTINEL_NAME} 60000
sentinel parallel-syncs ${REDIS_SENTINEL_NAME} 1
CONF
exec redis-server "$conf" --sentinel
