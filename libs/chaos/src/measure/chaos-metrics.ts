import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Counter,
  Gauge,
  Histogram,
  LATENCY_BUCKETS,
  createMetricsRegistry,
  type Registry,
} from '@redoubt/telemetry';
import { FAULT_KINDS, type FaultKind } from '../scenario/scenario-schema.js';

const OUTCOMES = ['injected', 'refused', 'unsupported', 'failed', 'skipped'] as const;
const RECOVERY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300];

/**
 * The chaos run as Prometheus sees it (the chaos dashboard): the load from the client's side, faults as
 * they start and end, and their detection and recovery times. Served on CHAOS_METRICS_PORT while a run lasts.
 */
export class ChaosMetrics {
  readonly registry: Registry;
  private readonly requests: Counter<'op' | 'outcome'>;
  private readonly duration: Histogram<'op'>;
  private readonly writes: Counter<'status'>;
  private readonly faults: Counter<'kind' | 'outcome'>;
  private readonly active: Gauge<'kind' | 'target'>;
  private readonly detect: Histogram<'kind'>;
  private readonly recover: Histogram<'kind'>;
  private readonly running: Gauge<'scenario' | 'run_id'>;

  constructor(registry: Registry = createMetricsRegistry('chaos')) {
    this.registry = registry;
    const registers = [registry];
    this.requests = new Counter({
      name: 'redoubt_chaos_requests_total',
      help: 'Requests of the chaos load by operation and outcome (ok, error), as the client saw them',
      labelNames: ['op', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'redoubt_chaos_request_duration_seconds',
      help: 'Latency of the chaos load requests as the client saw it',
      labelNames: ['op'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.writes = new Counter({
      name: 'redoubt_chaos_writes_total',
      help: 'Writes of the chaos load by fate: ok (acknowledged), failed, unknown',
      labelNames: ['status'],
      registers,
    });
    this.faults = new Counter({
      name: 'redoubt_chaos_faults_total',
      help: 'Faults of chaos runs by kind and outcome (injected, refused by a guard, unsupported, failed, skipped)',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.active = new Gauge({
      name: 'redoubt_chaos_fault_active',
      help: 'A fault in progress (1) on a target, from injection until its target serves again',
      labelNames: ['kind', 'target'],
      registers,
    });
    this.detect = new Histogram({
      name: 'redoubt_chaos_time_to_detect_seconds',
      help: 'From a fault to its detection (the monitor event, else the chaos probe)',
      labelNames: ['kind'],
      buckets: RECOVERY_BUCKETS,
      registers,
    });
    this.recover = new Histogram({
      name: 'redoubt_chaos_time_to_recover_seconds',
      help: 'From the end of a fault to its target serving again',
      labelNames: ['kind'],
      buckets: RECOVERY_BUCKETS,
      registers,
    });
    this.running = new Gauge({
      name: 'redoubt_chaos_run_active',
      help: 'A chaos run in progress (1)',
      labelNames: ['scenario', 'run_id'],
      registers,
    });
    // zero series up front, so rates and panels exist before the first fault or error
    for (const op of ['put', 'get'])
      for (const outcome of ['ok', 'error']) this.requests.inc({ op, outcome }, 0);
    for (const status of ['ok', 'failed', 'unknown']) this.writes.inc({ status }, 0);
    for (const kind of FAULT_KINDS) for (const outcome of OUTCOMES) this.faults.inc({ kind, outcome }, 0);
  }

  runStarted(scenario: string, runId: string): void {
    this.running.set({ scenario, run_id: runId }, 1);
  }

  runEnded(scenario: string, runId: string): void {
    this.running.set({ scenario, run_id: runId }, 0);
  }

  request(op: 'put' | 'get', latencyMs: number, ok: boolean): void {
    this.requests.inc({ op, outcome: ok ? 'ok' : 'error' });
    this.duration.observe({ op }, latencyMs / 1000);
  }

  write(status: 'ok' | 'failed' | 'unknown'): void {
    this.writes.inc({ status });
  }

  faultStarted(kind: FaultKind, target: string): void {
    this.active.set({ kind, target }, 1);
  }

  faultEnded(
    kind: FaultKind,
    target: string | null,
    outcome: (typeof OUTCOMES)[number],
    ttdMs: number | null,
    ttrMs: number | null,
  ): void {
    this.faults.inc({ kind, outcome });
    if (target) this.active.set({ kind, target }, 0);
    if (ttdMs !== null) this.detect.observe({ kind }, ttdMs / 1000);
    if (ttrMs !== null) this.recover.observe({ kind }, ttrMs / 1000);
  }

  /** Serves `/metrics` on 0.0.0.0 (inside compose) or the given host; resolves with the bound port. */
  async serve(port: number, host = '0.0.0.0'): Promise<{ port: number; close: () => Promise<void> }> {
    const server: Server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return {
      port: (server.address() as AddressInfo).port,
      close: () =>
        new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
    };
  }
}
