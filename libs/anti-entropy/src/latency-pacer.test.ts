import { describe, expect, it } from 'vitest';
import { LatencyPacer } from './latency-pacer.js';
import { TransferThrottle } from './transfer-throttle.js';

const MB = 1_000_000;

/**
 * A node that answers a client in 3 ms while background transfers stay under what it can spare
 * (`spare` MB/s), and slower in proportion beyond that: the shape bench:repair measured.
 */
function node(spare: () => number, throttle: TransferThrottle) {
  return async () => {
    const over = Math.max(0, throttle.bytesPerSecond / MB - spare());
    return 3 + over * 2;
  };
}

describe('LatencyPacer', () => {
  it('finds the rate a node can spare, keeps client latency within the target, and follows the node', async () => {
    const throttle = new TransferThrottle(0);
    let spare = 20;
    const pacer = new LatencyPacer({
      throttle,
      probe: node(() => spare, throttle),
      targetRatio: 2,
      maxBytesPerSecond: 500 * MB,
      minBytesPerSecond: 1 * MB,
    });
    const latencies: number[] = [];
    const run = async (steps: number) => {
      for (let i = 0; i < steps; i++) {
        await pacer.step();
        latencies.push(await node(() => spare, throttle)());
      }
    };
    await run(200);
    expect(pacer.baselineMs).toBeLessThan(3.2); // the quiet 3 ms, drifting up only slowly
    const settled = latencies.slice(-100);
    expect(Math.max(...settled)).toBeLessThanOrEqual(3 * 2 * 1.5); // brief overshoots, then back under
    expect(settled.reduce((a, b) => a + b, 0) / settled.length).toBeLessThanOrEqual(6);
    expect(throttle.bytesPerSecond).toBeGreaterThan(10 * MB); // and it uses what the node can spare
    expect(throttle.bytesPerSecond).toBeLessThanOrEqual(23.5 * MB);

    spare = 2; // clients got busy: the pacer backs off
    latencies.length = 0;
    await run(100);
    expect(throttle.bytesPerSecond).toBeLessThanOrEqual(3.5 * MB);
    spare = 100; // quiet again: it speeds up, never past the cap
    await run(100);
    expect(throttle.bytesPerSecond).toBeGreaterThan(40 * MB); // up to (and around) the 100 MB/s it can spare
    expect(throttle.bytesPerSecond).toBeLessThanOrEqual(500 * MB);
  });

  it('never goes below the floor, so a repair always progresses', async () => {
    const throttle = new TransferThrottle(0);
    let calls = 0;
    const pacer = new LatencyPacer({
      throttle,
      probe: async () => (++calls < 20 ? 3 : 300),
      targetRatio: 2,
      maxBytesPerSecond: 100 * MB,
      minBytesPerSecond: 2 * MB,
    });
    for (let i = 0; i < 60; i++) await pacer.step();
    expect(throttle.bytesPerSecond).toBe(2 * MB);
  });

  it('a rate change lets queued takes through at the new rate', async () => {
    const throttle = new TransferThrottle(10_000, 1_000);
    await throttle.take(100_000); // ten seconds of debt at the old rate
    const waited = throttle.take(1_000);
    const started = performance.now();
    throttle.setRate(0);
    await waited;
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('never allows more than a cap set below the floor', async () => {
    const throttle = new TransferThrottle(0);
    const pacer = new LatencyPacer({
      throttle,
      probe: async () => 3,
      targetRatio: 2,
      maxBytesPerSecond: 0.5 * MB,
      minBytesPerSecond: 2 * MB,
    });
    pacer.start();
    for (let i = 0; i < 10; i++) await pacer.step();
    pacer.stop();
    expect(throttle.bytesPerSecond).toBe(0.5 * MB);
  });
});
