import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type LabelValues } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };
export type { LabelValues };

/**
 * A registry per service with the process metrics (CPU, memory, event-loop lag, GC) and a `service`
 * label on every series, so one Prometheus job can scrape many services and dashboards can group by it.
 */
export function createMetricsRegistry(service: string, labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service, ...labels });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}

/** Latency buckets (seconds) shared by every HTTP and internal RPC histogram so panels line up. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
