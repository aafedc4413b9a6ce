import { Counter, Gauge, type Registry } from '@redoubt/telemetry';

export const BREAKER_STATE_METRIC = 'redoubt_breaker_state';
export const BREAKER_EVENTS_METRIC = 'redoubt_breaker_events_total';

/** Gauge values of `redoubt_breaker_state`: dashboards and alerts compare against these numbers. */
export const BREAKER_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** The breaker events that are counted (opossum's names). */
export const COUNTED_EVENTS = [
  'success',
  'failure',
  'timeout',
  'reject',
  'open',
  'halfOpen',
  'close',
  'semaphoreLocked',
] as const;
export type CountedEvent = (typeof COUNTED_EVENTS)[number];

export interface BreakerMetrics {
  state: Gauge<'downstream'>;
  events: Counter<'downstream' | 'event'>;
}

/**
 * The two breaker series in a registry. Looked up before they are created, so several breaker registries
 * (or a test that builds two) can share one metrics registry without "already registered" errors.
 */
export function breakerMetrics(registry: Registry): BreakerMetrics {
  const state =
    (registry.getSingleMetric(BREAKER_STATE_METRIC) as Gauge<'downstream'> | undefined) ??
    new Gauge({
      name: BREAKER_STATE_METRIC,
      help: 'Circuit breaker state per downstream: 0 closed, 1 half-open, 2 open',
      labelNames: ['downstream'],
      registers: [registry],
    });
  const events =
    (registry.getSingleMetric(BREAKER_EVENTS_METRIC) as Counter<'downstream' | 'event'> | undefined) ??
    new Counter({
      name: BREAKER_EVENTS_METRIC,
      help: 'Circuit breaker events per downstream (success, failure, timeout, reject, open, halfOpen, close, semaphoreLocked)',
      labelNames: ['downstream', 'event'],
      registers: [registry],
    });
  return { state, events };
}
