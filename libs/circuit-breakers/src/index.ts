export { DEFAULT_BREAKER_OPTIONS, type BreakerOptions } from './breaker-options.js';
export {
  breakerMetrics,
  BREAKER_STATE_METRIC,
  BREAKER_EVENTS_METRIC,
  BREAKER_STATE_VALUE,
  COUNTED_EVENTS,
  type BreakerMetrics,
  type CountedEvent,
} from './breaker-metrics.js';
export { DownstreamBreaker, type BreakerState, type BreakerTask } from './downstream-breaker.js';
export { BreakerRegistry } from './breaker-registry.js';
