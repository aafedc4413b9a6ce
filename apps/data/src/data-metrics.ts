import { Counter, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@redoubt/telemetry';
import type { RecordStore, StoreObserver } from '@redoubt/storage';

export interface DataMetrics {
  requests: Counter<'route' | 'method' | 'status'>;
  errors: Counter<'code'>;
  ops: Counter<'op' | 'outcome'>;
  corrupt: Counter;
  commitDuration: Histogram;
  commitWrites: Histogram;
  streamed: Counter<'direction'>;
  /** Counts a request (`requests`) and its latency since `started` (process.hrtime.bigint()). */
  request(route: string, method: string, status: string, started: bigint): void;
  /** Hooks the store calls (corrupt records, durable commits). */
  observer: StoreObserver;
  /** Connects the stored-data gauges to the store once it is open. */
  watch(store: RecordStore): void;
}

/** The data node's metrics (all prefixed `redoubt_data_`), on the service registry. */
export function createDataMetrics(registry: Registry): DataMetrics {
  const registers = [registry];
  let store: RecordStore | undefined;
  const none = { partitions: 0, records: 0, bytes: 0 };
  // undefined while the store recounts its aggregates: the gauges keep their last value meanwhile
  const totals = () => (!store?.isOpen() ? none : store.isRecounting() ? undefined : store.totalsAll());
  const corrupt = new Counter({
    name: 'redoubt_data_corrupt_records_total',
    help: 'Stored records found failing their checksum (reads, scans, scrubs, stale checks).',
    registers,
  });
  const commitDuration = new Histogram({
    name: 'redoubt_data_commit_duration_seconds',
    help: 'Time from queueing a write transaction to its durable (fsynced) commit.',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const commitWrites = new Histogram({
    name: 'redoubt_data_commit_writes',
    help: 'Records applied per write transaction of one batch (group commit size).',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers,
  });
  new Gauge({
    name: 'redoubt_data_aggregates_recounting',
    help: '1 while the node recounts its digest aggregates after an unclean shutdown (digests answer 503).',
    registers,
    collect() {
      this.set(store?.isRecounting() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'redoubt_data_records',
    help: 'Records stored (tombstones included).',
    registers,
    collect() {
      const t = totals();
      if (t) this.set(t.records);
    },
  });
  new Gauge({
    name: 'redoubt_data_bytes_stored',
    help: 'Bytes of records stored (keys plus stored record bytes).',
    registers,
    collect() {
      const t = totals();
      if (t) this.set(t.bytes);
    },
  });
  new Gauge({
    name: 'redoubt_data_partitions',
    help: 'Partitions holding at least one record on this node.',
    registers,
    collect() {
      const t = totals();
      if (t) this.set(t.partitions);
    },
  });
  // The log engine's disk: written minus live is what compaction can reclaim (libs/storage README).
  const logStats = () => (store?.isOpen() && store.engine === 'log' ? store.stats() : undefined);
  new Gauge({
    name: 'redoubt_data_log_bytes',
    help: 'Log engine: bytes of frames in its segments (written) and still current (live).',
    labelNames: ['kind'],
    registers,
    collect() {
      const stats = logStats();
      if (!stats) return;
      this.set({ kind: 'written' }, Number(stats.bytesWritten));
      this.set({ kind: 'live' }, Number(stats.liveBytes));
    },
  });
  new Gauge({
    name: 'redoubt_data_log_segments',
    help: 'Log engine: segment files in use.',
    registers,
    collect() {
      const stats = logStats();
      if (stats) this.set(Number(stats.segments));
    },
  });
  const requests = new Counter({
    name: 'redoubt_data_requests_total',
    help: 'HTTP requests by route, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers,
  });
  const requestDuration = new Histogram({
    name: 'redoubt_data_request_duration_seconds',
    help: 'HTTP request latency by route.',
    labelNames: ['route', 'method'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  return {
    requests,
    request(route, method, status, started) {
      requests.inc({ route, method, status });
      requestDuration.observe({ route, method }, Number(process.hrtime.bigint() - started) / 1e9);
    },
    errors: new Counter({
      name: 'redoubt_data_errors_total',
      help: 'Errors answered, by catalogue code (whole requests and single batch ops).',
      labelNames: ['code'],
      registers,
    }),
    ops: new Counter({
      name: 'redoubt_data_ops_total',
      help: 'Record operations by kind and outcome (applied, stale, found, missing, or an error code).',
      labelNames: ['op', 'outcome'],
      registers,
    }),
    corrupt,
    commitDuration,
    commitWrites,
    streamed: new Counter({
      name: 'redoubt_data_stream_records_total',
      help: 'Records streamed out of or into partitions.',
      labelNames: ['direction'],
      registers,
    }),
    observer: {
      corrupt: () => corrupt.inc(),
      committed: (seconds, writes) => {
        commitDuration.observe(seconds);
        commitWrites.observe(writes);
      },
    },
    watch(opened) {
      store = opened;
    },
  };
}
