import { LatencyPacer, type ClusterView, type TransferThrottle } from '@redoubt/anti-entropy';
import { keysInPartition } from '@redoubt/hashing';
import { Gauge, type Logger, type Registry } from '@redoubt/telemetry';
import type { WorkerConfig } from './worker-config.js';

/** With no configured cap the pacer still needs a ceiling to climb to: above what one node streams. */
const UNCAPPED_CEILING_MB_S = 1_000;
const PROBE_TIMEOUT_MS = 1_000;

/**
 * Paces this worker's transfers (repair rebuilds above all, and moves, scrubs, handoff: they share the
 * throttle) against client latency: a LatencyPacer (@redoubt/anti-entropy) probes every data node with
 * a client-sized read five times a second and sets the throttle's rate so that probes stay within
 * REPAIR_MAX_LATENCY_RATIO x their quiet baseline. BANDWIDTH_LIMIT_MB_S stays the ceiling,
 * REPAIR_MIN_MB_S the floor. REPAIR_MAX_LATENCY_RATIO=0 turns pacing off (the fixed cap alone).
 */
export function startRepairPacing(
  config: WorkerConfig,
  cluster: ClusterView,
  throttle: TransferThrottle,
  logger: Logger,
  registry: Registry,
): { stop(): void } | undefined {
  if (config.REPAIR_MAX_LATENCY_RATIO === 0) return undefined;
  const key = keysInPartition(0, config.PARTITIONS, 1, 'pacer-probe')[0]!;
  // One read per node at once, the slowest counts: the node a rebuild loads is the one clients feel.
  const probe = async () => {
    const times = await Promise.all(
      cluster.nodeIds().map(async (id) => {
        const started = performance.now();
        try {
          await cluster.node(id).get(0, key, { timeoutMs: PROBE_TIMEOUT_MS });
          return performance.now() - started;
        } catch {
          return NaN; // a node that is down says nothing about what transfers cost
        }
      }),
    );
    const answered = times.filter((t) => Number.isFinite(t));
    return answered.length === 0 ? NaN : Math.max(...answered);
  };
  const rate = new Gauge({
    name: 'redoubt_transfer_rate_bytes_per_second',
    help: 'The rate the latency pacer allows background transfers (repair, move, scrub, handoff)',
    registers: [registry],
  });
  let lastLogged = 0;
  const pacer = new LatencyPacer({
    throttle,
    probe,
    targetRatio: config.REPAIR_MAX_LATENCY_RATIO,
    maxBytesPerSecond: (config.BANDWIDTH_LIMIT_MB_S || UNCAPPED_CEILING_MB_S) * 1_000_000,
    minBytesPerSecond: config.REPAIR_MIN_MB_S * 1_000_000,
    onRate: (bytesPerSecond, latencyMs, baselineMs) => {
      rate.set(bytesPerSecond);
      if (Date.now() - lastLogged < 10_000) return;
      lastLogged = Date.now();
      logger.debug(
        { mbPerSecond: bytesPerSecond / 1e6, latencyMs, baselineMs },
        'transfer rate paced against client latency',
      );
    },
  });
  rate.set(pacer.bytesPerSecond);
  pacer.start();
  return pacer;
}
