import type { HealthProber, HealthState } from '@redoubt/failure-detection';
import type { RecoveryController, RecoveryObserver } from '@redoubt/recovery';
import { Counter, Gauge, Histogram, type Registry } from '@redoubt/telemetry';

const STATES: readonly HealthState[] = ['unknown', 'up', 'suspect', 'down', 'dead'];

/**
 * The monitor's metrics. Cluster-level gauges are computed at scrape time from the monitor's current view,
 * so every monitor (leader or standby) exports them; recovery histograms and counters are recorded by the
 * leader only (the one that acts), so sums over monitors do not double count.
 */
export function registerMonitorMetrics(
  registry: Registry,
  sources: { prober: HealthProber; controller: () => RecoveryController | undefined },
): RecoveryObserver {
  new Gauge({
    name: 'redoubt_monitor_service_state',
    help: 'Health of each watched service as this monitor sees it: 1 for its current state, 0 for the others',
    labelNames: ['target', 'kind', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sources.prober.snapshot())
        for (const state of STATES)
          this.set({ target: s.target, kind: s.kind, state }, s.state === state ? 1 : 0);
    },
  });
  const detect = new Histogram({
    name: 'redoubt_monitor_time_to_detect_seconds',
    help: 'From the last good probe to the service being declared down',
    labelNames: ['kind'],
    buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60],
    registers: [registry],
  });
  const recover = new Histogram({
    name: 'redoubt_monitor_time_to_recover_seconds',
    help: 'From the last good probe to the service answering again (dead data nodes: to full redundancy)',
    labelNames: ['kind'],
    buckets: [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const actions = new Counter({
    name: 'redoubt_monitor_recovery_actions_total',
    help: 'Recovery actions taken (start, restart, unpause, reconnect, replace, rebalance-in, repair) by result',
    labelNames: ['kind', 'action', 'result'],
    registers: [registry],
  });
  const redundancy = () => sources.controller()?.redundancy();
  const gauge = (name: string, help: string, value: () => number | undefined) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const v = value();
        if (v !== undefined) this.set(v);
      },
    });
  gauge(
    'redoubt_cluster_partitions_below_replicas',
    'Partitions with fewer than R live, filled replicas',
    () => redundancy()?.belowR,
  );
  gauge(
    'redoubt_cluster_partitions_below_write_quorum',
    'Partitions with fewer than W live, filled replicas',
    () => redundancy()?.belowW,
  );
  gauge(
    'redoubt_cluster_partitions_unavailable',
    'Partitions with no live replica',
    () => redundancy()?.unavailable,
  );
  gauge(
    'redoubt_cluster_pending_moves',
    'Rebalance moves waiting or running',
    () => redundancy()?.pendingMoves,
  );
  gauge(
    'redoubt_cluster_failed_moves',
    'Moves into the current epoch that failed for good',
    () => redundancy()?.failedMoves,
  );
  gauge(
    'redoubt_cluster_redundancy_eta_seconds',
    'Estimated time to full redundancy: bytes still to move at the configured bandwidth',
    () => redundancy()?.estimatedSecondsToFullRedundancy,
  );
  gauge(
    'redoubt_cluster_placement_epoch',
    'The placement epoch this monitor follows',
    () => redundancy()?.epoch,
  );
  gauge('redoubt_monitor_leader', 'Whether this monitor holds the leader lease (1) or not (0)', () =>
    sources.controller()?.isLeader() ? 1 : 0,
  );
  return {
    detected: (kind, seconds) => {
      if (seconds !== null) detect.observe({ kind }, seconds);
    },
    recovered: (kind, seconds) => recover.observe({ kind }, seconds),
    action: (kind, action, result) => actions.inc({ kind, action, result }),
  };
}
