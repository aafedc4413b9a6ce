import type { RedisTarget } from '@redoubt/config';
import { askSentinel, startLocalStack, type LocalStack } from '@redoubt/local-stack';
import { NodeRegistry, PlacementStore, type NodeRecord } from '@redoubt/membership';
import { placementFromNodes } from '@redoubt/placement';
import { createRedisConnection, JobProducer, QUEUES } from '@redoubt/queues';
import type { RedisOptions } from 'ioredis';

/**
 * The Redis failover drill (test and benchmark alike): a redoubt with Redis behind Sentinel (a master, a
 * replica, three sentinels; three data nodes, two gateways, the backup-worker), client writes through the
 * gateways all along, then a kill of the Redis master. Measures and returns what an operator cares about;
 * asserts nothing (the test does). Where it runs is a `FailoverTarget`: today the local stack
 * (`npm start -- --redis sentinel`, `runRedisFailoverDrill`); another setting (docker-compose with the
 * Sentinel override, the swarm) needs only its own target.
 */
export interface FailoverDrillOptions {
  /** Concurrent client writers (each PUTs its own keys, one at a time). Default 4. */
  writers?: number;
  /** Load before the kill, ms. Default 3000. */
  warmupMs?: number;
  /** Repair jobs enqueued right after the failover (the queue catch-up measured). Default 20. */
  jobs?: number;
  /** Upper bound of the whole drill after the kill, ms (every wait below is bounded by it). Default 60 s. */
  deadlineMs?: number;
  log?: (line: string) => void;
}

/** What the drill needs of a running redoubt behind Sentinel. */
export interface FailoverTarget {
  gateways: string[];
  apiKey: string;
  redis: RedisTarget;
  /** Extra connection options (e.g. an ioredis `natMap` from the sentinels' host names to reachable addresses). */
  redisOptions?: RedisOptions;
  queuePrefix: string;
  partitions: number;
  /** The master the sentinels name now, as they name it (`host:port`). */
  master(): Promise<string | undefined>;
  /** Kills that master the way the setting's crash looks (SIGKILL; `docker kill`); it comes back by itself after about 5 s. */
  killMaster(master: string): Promise<void>;
  /** Whether that server (by the name `master()` gave) now replicates from a master, link up. */
  isReplica(master: string): Promise<boolean>;
  /** Cluster state a monitor would have: a placement epoch and the members (written, or waited for). */
  prepare(placement: PlacementStore, registry: NodeRegistry): Promise<void>;
}

export interface FailoverDrillResult {
  /** The kill to the sentinels naming another master. */
  newMasterMs: number;
  /** The kill to the first write acknowledged by Redis again (through the sentinels). */
  redisWritableMs: number;
  /** Longest run of refused Redis probe writes (one every 50 ms), first refusal to next success. */
  redisRefusalWindowMs: number;
  clientWrites: {
    acknowledged: number;
    refused: number;
    /** Longest stretch during which client writes were refused (0: none was). */
    longestRefusalMs: number;
    /** Acknowledged writes not read back with their value afterwards. */
    lost: number;
  };
  epochBefore: number;
  epochAfter: number;
  membershipBefore: number;
  membershipAfter: number;
  jobs: {
    wanted: number;
    enqueued: number;
    /** The kill to the first job enqueued after the failover being completed. */
    firstProcessedMs: number | null;
    /** The kill to every job enqueued after the failover completed (queues caught up). */
    caughtUpMs: number | null;
    completed: number;
  };
  /** The killed master comes back after 5 s; the kill to it replicating from the new master. */
  oldMasterReplicaMs: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WriteRecord {
  key: string;
  value: string;
  ok: boolean;
  at: number;
}

/** Runs the drill on a fresh local stack (`--redis sentinel`, 64 partitions) in `home` and stops it again. */
export async function runRedisFailoverDrill(
  options: FailoverDrillOptions & { home: string },
): Promise<FailoverDrillResult> {
  const stack = await startLocalStack({
    home: options.home,
    redis: 'sentinel',
    dataNodes: 3,
    gateways: 2,
    worker: true,
    partitions: 64,
    ports: {},
    log: 'ignore',
  });
  try {
    return await runFailoverDrill(localTarget(stack), options);
  } finally {
    await stack.stop();
  }
}

/** The local stack as a drill target: sentinels on loopback, the master killed by PID. */
function localTarget(stack: LocalStack): FailoverTarget {
  const sentinelPorts = stack.redis.kind === 'sentinel' ? stack.redis.sentinels.map((s) => s.port) : [];
  return {
    gateways: stack.gateways.map((g) => g.url),
    apiKey: stack.keys.apiKey,
    redis: stack.redis,
    queuePrefix: stack.settings.queuePrefix,
    partitions: stack.settings.partitions,
    master: async () => {
      for (const port of sentinelPorts) {
        const master = await askSentinel(port);
        if (master) return `${master.host}:${master.port}`;
      }
      return undefined;
    },
    killMaster: async (master) => {
      const port = Number(master.split(':')[1]);
      const name = stack.instances.find((i) => i.port === port)?.name;
      const pid = name ? stack.process(name).status().pid : null;
      if (!pid) throw new Error(`the drill found no process for the master ${master}`);
      // A crash: the supervisor brings it back after 5 s (redoubt-stack.ts, AFTER_FAILOVER).
      process.kill(pid, 'SIGKILL');
    },
    isReplica: (master) => replicating(`redis://${master}`),
    prepare: async (placement, registry) => {
      // What a monitor would have written: placement epoch 2 (the same cells as epoch 1) and the nodes.
      const matrix = {
        ...placementFromNodes({
          nodes: stack.dataNodes,
          partitions: stack.settings.partitions,
          replicas: stack.settings.replicas,
        }),
        epoch: 2,
      };
      await placement.publish(matrix, { nodes: stack.dataNodes, publishedBy: 'drill', reason: 'drill' });
      const now = Date.now();
      for (const node of stack.dataNodes) {
        const record: NodeRecord = {
          id: node.id,
          url: node.url,
          zone: node.id,
          weight: 1,
          state: 'active',
          health: 'up',
          since: now,
          updatedAt: now,
        };
        await registry.putNode(record);
      }
    },
  };
}

/** The drill against any target: load, the kill, the measurements, the read-back. */
export async function runFailoverDrill(
  target: FailoverTarget,
  options: FailoverDrillOptions = {},
): Promise<FailoverDrillResult> {
  const log = options.log ?? (() => undefined);
  const deadlineMs = options.deadlineMs ?? 60_000;
  const admin = createRedisConnection(target.redis, 'worker', {
    ...target.redisOptions,
    connectionName: 'drill-admin',
  });
  admin.on('error', () => undefined);
  const probe = createRedisConnection(target.redis, 'request-path', {
    ...target.redisOptions,
    connectionName: 'drill-probe',
  });
  probe.on('error', () => undefined);
  const producer = new JobProducer(admin, target.queuePrefix, { attempts: 5 });
  const placement = new PlacementStore(admin, target.queuePrefix);
  const registry = new NodeRegistry(admin, target.queuePrefix);

  await target.prepare(placement, registry);
  const epochBefore = await placement.epoch();
  const membershipBefore = (await registry.nodes()).length;
  // Replicated before the kill: what Sentinel can keep (replication is asynchronous).
  await admin.wait(1, 2_000);

  // Client writes through the gateways, from now until the end.
  const writes: WriteRecord[] = [];
  let loading = true;
  const writer = async (w: number) => {
    for (let i = 0; loading; i += 1) {
      const gateway = target.gateways[(w + i) % target.gateways.length]!;
      const key = `drill/${w}/${i}`;
      const value = `v-${w}-${i}-${Date.now()}`;
      let ok = false;
      try {
        const response = await fetch(`${gateway}/v1/kv/${encodeURIComponent(key)}`, {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${target.apiKey}`,
            'content-type': 'application/octet-stream',
          },
          body: value,
          signal: AbortSignal.timeout(2_000),
        });
        ok = response.ok;
        await response.arrayBuffer();
      } catch {
        ok = false;
      }
      writes.push({ key, value, ok, at: Date.now() });
      if (!ok) await sleep(20);
    }
  };
  const writers = Array.from({ length: options.writers ?? 4 }, (_, w) => writer(w));

  // Redis probe writes every 50 ms through the factory (fail-fast connection).
  const probes: { ok: boolean; sentAt: number; at: number }[] = [];
  let probing = true;
  const prober = (async () => {
    for (let n = 0; probing; n += 1) {
      const sentAt = Date.now();
      let ok = false;
      try {
        ok = (await probe.set('drill:probe', String(n))) === 'OK';
      } catch {
        ok = false;
      }
      probes.push({ ok, sentAt, at: Date.now() });
      await sleep(50);
    }
  })();

  await sleep(options.warmupMs ?? 3_000);
  const oldMaster = await target.master();
  if (!oldMaster) throw new Error('the sentinels name no master to kill');
  log(`killing the master ${oldMaster}`);
  const killedAt = Date.now();
  await target.killMaster(oldMaster);
  const endBy = killedAt + deadlineMs;

  let newMasterMs = -1;
  while (Date.now() < endBy) {
    const master = await target.master();
    if (master && master !== oldMaster) {
      newMasterMs = Date.now() - killedAt;
      break;
    }
    await sleep(50);
  }
  log(`new master after ${newMasterMs} ms`);

  // Jobs after the failover: the workers must pick them up from the new master.
  // An enqueue refused while the services reconnect is tried again; one still refused at the deadline
  // counts as not enqueued (and so the jobs as not caught up).
  const jobIds: string[] = [];
  const wanted = options.jobs ?? 20;
  for (let p = 0; p < wanted && Date.now() < endBy; p += 1) {
    try {
      jobIds.push(
        await producer.repairPartition(
          { partition: p % target.partitions, reason: 'operator' },
          { jobId: `drill-${killedAt}-${p}` },
        ),
      );
    } catch {
      p -= 1;
      await sleep(100);
    }
  }
  const queue = producer.queue(QUEUES.repairPartition);
  let firstProcessedMs: number | null = null;
  let caughtUpMs: number | null = null;
  let completed = 0;
  while (Date.now() < endBy) {
    const states = await Promise.all(jobIds.map((id) => queue.getJobState(id).catch(() => 'unknown')));
    completed = states.filter((s) => s === 'completed').length;
    if (completed > 0 && firstProcessedMs === null) firstProcessedMs = Date.now() - killedAt;
    if (completed === wanted) {
      caughtUpMs = Date.now() - killedAt;
      break;
    }
    await sleep(100);
  }
  log(`jobs: ${completed}/${jobIds.length} completed, caught up after ${caughtUpMs} ms`);

  // The old master, back after 5 s, should now replicate from the new one.
  let oldMasterReplicaMs: number | null = null;
  while (Date.now() < endBy) {
    if (await target.isReplica(oldMaster).catch(() => false)) {
      oldMasterReplicaMs = Date.now() - killedAt;
      break;
    }
    await sleep(250);
  }

  await sleep(1_000);
  loading = false;
  probing = false;
  await Promise.all([...writers, prober]);

  const acknowledged = writes.filter((w) => w.ok);
  let lost = 0;
  for (const write of acknowledged) {
    const gateway = target.gateways[0]!;
    const response = await fetch(`${gateway}/v1/kv/${encodeURIComponent(write.key)}`, {
      headers: { authorization: `Bearer ${target.apiKey}` },
    });
    const body = await response.text();
    if (!response.ok || body !== write.value) lost += 1;
  }

  // Sent after the kill: a write in flight at the kill may still be acknowledged by the old master.
  const firstWritable = probes.find((p) => p.ok && p.sentAt > killedAt);
  const result: FailoverDrillResult = {
    newMasterMs,
    redisWritableMs: firstWritable ? firstWritable.at - killedAt : -1,
    redisRefusalWindowMs: longestRefusal(probes),
    clientWrites: {
      acknowledged: acknowledged.length,
      refused: writes.length - acknowledged.length,
      longestRefusalMs: longestRefusal(writes.slice().sort((a, b) => a.at - b.at)),
      lost,
    },
    epochBefore,
    epochAfter: await placement.epoch(),
    membershipBefore,
    membershipAfter: (await registry.nodes()).length,
    jobs: { wanted, enqueued: jobIds.length, firstProcessedMs, caughtUpMs, completed },
    oldMasterReplicaMs,
  };
  await producer.close();
  admin.disconnect();
  probe.disconnect();
  return result;
}

/** One short connection: is the server at `url` a replica with its master link up? */
export async function replicating(url: string, options: RedisOptions = {}): Promise<boolean> {
  const server = createRedisConnection(url, 'request-path', {
    connectionName: 'drill-replication',
    lazyConnect: true,
    retryStrategy: () => null,
    ...options,
  });
  server.on('error', () => undefined);
  try {
    await server.connect();
    const info = await server.info('replication');
    return info.includes('role:slave') && info.includes('master_link_status:up');
  } catch {
    return false;
  } finally {
    server.disconnect();
  }
}

/** The longest stretch from a refused attempt to the next acknowledged one (0 when none was refused). */
export function longestRefusal(attempts: readonly { ok: boolean; at: number }[]): number {
  let longest = 0;
  let since: number | undefined;
  for (const attempt of attempts) {
    if (!attempt.ok) since ??= attempt.at;
    else if (since !== undefined) {
      longest = Math.max(longest, attempt.at - since);
      since = undefined;
    }
  }
  return longest;
}
