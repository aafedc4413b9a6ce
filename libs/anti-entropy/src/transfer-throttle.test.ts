import { describe, expect, it } from 'vitest';
import { TransferThrottle } from './transfer-throttle.js';

describe('TransferThrottle', () => {
  it('does not hold anything back when unlimited', async () => {
    const throttle = new TransferThrottle(0);
    expect(throttle.unlimited).toBe(true);
    await throttle.take(10 << 30);
    expect(throttle.queued).toBe(0);
  });

  it('serves waiters by priority (lower first), first come first served within a priority', async () => {
    const throttle = new TransferThrottle(100_000, 1_000);
    await throttle.take(50_000); // debt: everything below waits
    const order: string[] = [];
    const waits = [
      throttle.take(1_000, { priority: 10 }).then(() => order.push('scrub')),
      throttle.take(1_000, { priority: 5 }).then(() => order.push('move')),
      throttle.take(1_000, { priority: 1 }).then(() => order.push('below-W-a')),
      throttle.take(1_000, { priority: 1 }).then(() => order.push('below-W-b')),
    ];
    expect(throttle.queued).toBe(4);
    await Promise.all(waits);
    expect(order).toEqual(['below-W-a', 'below-W-b', 'move', 'scrub']);
  });

  it('lets an aborted waiter go without blocking the others', async () => {
    const throttle = new TransferThrottle(100_000, 1_000);
    await throttle.take(20_000);
    const abort = new AbortController();
    const cancelled = throttle.take(1_000, { signal: abort.signal, priority: 1 });
    const other = throttle.take(1_000, { priority: 2 });
    abort.abort(new Error('job cancelled'));
    await expect(cancelled).rejects.toThrow('job cancelled');
    await other;
    expect(throttle.queued).toBe(0);
  });
});
