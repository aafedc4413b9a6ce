#!/bin/sh
# Starts one Redis of the StatefulSet redoubt-redis as master or replica. Who is master is the sentinels'
# word; on a first start (no sentinel knows yet) pod 0 is. The password comes from the environment and
# is written only to a config file in memory (an emptyDir), never to the image, the repo or the args.
set -eu
me="${HOSTNAME}.redoubt-redis"
conf=/run/redis/redis.conf
umask 077
cat > "$conf" <<CONF
port 6379
dir /data
appendonly yes
appendfsync everysec
save ""
maxmemory-policy noeviction
protected-mode no
requirepass ${REDIS_PASSWORD}
masterauth ${REDIS_PASSWORD}
replica-announce-ip ${me}
CONF
master=""
for sentinel in $(echo "$REDIS_SENTINELS" | tr ',' ' '); do
  master=$(REDISCLI_AUTH="$REDIS_SENTINEL_PASSWORD" redis-cli -h "${sentinel%:*}" -p "${sentinel##*:}" \
    --raw SENTINEL get-master-addr-by-name "$REDIS_SENTINEL_NAME" 2>/dev/null | head -n 1) || master=""
  [ -n "$master" ] && break
done
if [ -z "$master" ] && [ "${HOSTNAME##*-}" != 0 ]; then master="redoubt-redis-0.redoubt-redis"; fi
if [ -n "$master" ] && [ "$master" != "$me" ]; then echo "replicaof $master 6379" >> "$conf"; fi
exec redis-server "$conf"
