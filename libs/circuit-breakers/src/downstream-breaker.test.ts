import { describe, expect, it } from 'vitest';
import { RedoubtError } from '@redoubt/errors';
import { createMetricsRegistry } from '@redoubt/telemetry';
import { BreakerRegistry, DownstreamBreaker } from './index.js';

const never = () => new Promise<never>(() => undefined);
const fail = () => Promise.reject(new RedoubtError('REPLICA_UNAVAILABLE', 'connection refused'));

/** Polls `condition` until it holds or the deadline passes (no fixed sleeps as assertions). */
async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function metricValue(registry: ReturnType<typeof createMetricsRegistry>, name: string, labels: object) {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
}

describe('DownstreamBreaker', () => {
  it('passes results and errors through while closed', async () => {
    const breaker = new DownstreamBreaker('d1');
    expect(await breaker.run(async () => 42)).toBe(42);
    await expect(breaker.run(fail)).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    expect(breaker.state()).toBe('closed');
    breaker.shutdown();
  });

  it('rejects a call that outlives its timeout with REPLICA_TIMEOUT and aborts its signal', async () => {
    const breaker = new DownstreamBreaker('d1', { timeoutMs: 50 });
    let seen: AbortSignal | undefined;
    await expect(
      breaker.run((signal) => {
        seen = signal;
        return never();
      }),
    ).rejects.toMatchObject({ code: 'REPLICA_TIMEOUT', kind: 'timeout' });
    expect(seen?.aborted).toBe(true);
    expect(breaker.stats().timeouts).toBe(1);
    breaker.shutdown();
  });

  it('without abortOnTimeout, still times a call out but hands it a signal that never aborts', async () => {
    const breaker = new DownstreamBreaker('d1', { timeoutMs: 50, abortOnTimeout: false });
    let seen: AbortSignal | undefined;
    await expect(
      breaker.run((signal) => {
        seen = signal;
        return never();
      }),
    ).rejects.toMatchObject({ code: 'REPLICA_TIMEOUT' });
    expect(seen?.aborted).toBe(false);
    breaker.shutdown();
  });

  it('opens after enough failures, then fails fast with CIRCUIT_OPEN without calling the downstream', async () => {
    const breaker = new DownstreamBreaker('d2', { volumeThreshold: 3, resetTimeoutMs: 60_000 });
    for (let i = 0; i < 3; i++) await breaker.run(fail).catch(() => undefined);
    expect(breaker.state()).toBe('open');
    expect(breaker.isAvailable()).toBe(false);
    let called = false;
    await expect(
      breaker.run(async () => {
        called = true;
      }),
    ).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', kind: 'unavailable' });
    expect(called).toBe(false);
    breaker.shutdown();
  });

  it('half-opens after the reset timeout and closes again on a successful trial call', async () => {
    const breaker = new DownstreamBreaker('d3', { volumeThreshold: 2, resetTimeoutMs: 100 });
    for (let i = 0; i < 2; i++) await breaker.run(fail).catch(() => undefined);
    expect(breaker.state()).toBe('open');
    await eventually(() => breaker.state() === 'half-open');
    expect(breaker.isAvailable()).toBe(true);
    expect(await breaker.run(async () => 'ok')).toBe('ok');
    expect(breaker.state()).toBe('closed');
    breaker.shutdown();
  });

  it('re-opens when the half-open trial call fails', async () => {
    const breaker = new DownstreamBreaker('d4', { volumeThreshold: 2, resetTimeoutMs: 100 });
    for (let i = 0; i < 2; i++) await breaker.run(fail).catch(() => undefined);
    await eventually(() => breaker.state() === 'half-open');
    await breaker.run(fail).catch(() => undefined);
    expect(breaker.state()).toBe('open');
    breaker.shutdown();
  });

  it("does not count the caller's own errors (invalid, not found) against the downstream", async () => {
    const breaker = new DownstreamBreaker('d5', { volumeThreshold: 2 });
    for (let i = 0; i < 5; i++) {
      await expect(
        breaker.run(() => Promise.reject(new RedoubtError('WRONG_PARTITION'))),
      ).rejects.toMatchObject({ code: 'WRONG_PARTITION' });
    }
    expect(breaker.state()).toBe('closed');
    breaker.shutdown();
  });

  it('fails fast with DOWNSTREAM_SATURATED beyond its capacity', async () => {
    const breaker = new DownstreamBreaker('d6', { capacity: 2, timeoutMs: 5_000, volumeThreshold: 100 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = [breaker.run(() => gate), breaker.run(() => gate)];
    await expect(breaker.run(async () => 1)).rejects.toMatchObject({ code: 'DOWNSTREAM_SATURATED' });
    release();
    await Promise.all(held);
    expect(await breaker.run(async () => 2)).toBe(2);
    breaker.shutdown();
  });
});

describe('BreakerRegistry', () => {
  it('keeps one breaker per downstream and exports its state and events as metrics', async () => {
    const registry = createMetricsRegistry('breaker-test');
    const breakers = new BreakerRegistry(registry, { volumeThreshold: 2, resetTimeoutMs: 100 });
    const d1 = breakers.for('d1');
    expect(breakers.for('d1')).toBe(d1);
    expect(await metricValue(registry, 'redoubt_breaker_state', { downstream: 'd1' })).toBe(0);
    for (let i = 0; i < 2; i++) await d1.run(fail).catch(() => undefined);
    expect(await metricValue(registry, 'redoubt_breaker_state', { downstream: 'd1' })).toBe(2);
    expect(
      await metricValue(registry, 'redoubt_breaker_events_total', { downstream: 'd1', event: 'failure' }),
    ).toBe(2);
    expect(
      await metricValue(registry, 'redoubt_breaker_events_total', { downstream: 'd1', event: 'open' }),
    ).toBe(1);
    await eventually(
      async () => (await metricValue(registry, 'redoubt_breaker_state', { downstream: 'd1' })) === 1,
    );
    await d1.run(async () => undefined);
    expect(await metricValue(registry, 'redoubt_breaker_state', { downstream: 'd1' })).toBe(0);
    expect(breakers.states()).toEqual({ d1: 'closed' });
    // a second registry of breakers on the same metrics registry reuses the series instead of throwing
    expect(() => new BreakerRegistry(registry).for('redis')).not.toThrow();
    breakers.shutdown();
  });
});
