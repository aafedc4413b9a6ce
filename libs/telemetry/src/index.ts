export { createLogger, type Logger } from './logger.js';
export {
  createMetricsRegistry,
  LATENCY_BUCKETS,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type LabelValues,
} from './metrics-registry.js';
