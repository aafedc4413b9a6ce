import type { Registry } from '@redoubt/telemetry';
import type { BreakerOptions } from './breaker-options.js';
import { breakerMetrics, type BreakerMetrics } from './breaker-metrics.js';
import { DownstreamBreaker, type BreakerState } from './downstream-breaker.js';

/**
 * One breaker per downstream, created on first use and exported to one metrics registry. Services keep one
 * BreakerRegistry for their lifetime, so a node's breaker state survives placement changes.
 */
export class BreakerRegistry {
  private readonly breakers = new Map<string, DownstreamBreaker>();
  private readonly metrics: BreakerMetrics | undefined;

  constructor(
    registry?: Registry,
    private readonly defaults: Partial<BreakerOptions> = {},
  ) {
    this.metrics = registry ? breakerMetrics(registry) : undefined;
  }

  /** The breaker for `downstream`; `options` only apply when it is created. */
  for(downstream: string, options: Partial<BreakerOptions> = {}): DownstreamBreaker {
    let breaker = this.breakers.get(downstream);
    if (!breaker) {
      breaker = new DownstreamBreaker(downstream, { ...this.defaults, ...options }, this.metrics);
      this.breakers.set(downstream, breaker);
    }
    return breaker;
  }

  get(downstream: string): DownstreamBreaker | undefined {
    return this.breakers.get(downstream);
  }

  states(): Record<string, BreakerState> {
    const states: Record<string, BreakerState> = {};
    for (const [name, breaker] of this.breakers) states[name] = breaker.state();
    return states;
  }

  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }
}
