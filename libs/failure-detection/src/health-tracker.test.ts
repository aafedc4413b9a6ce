import { describe, expect, it } from 'vitest';
import { HealthTracker } from './index.js';

const policy = { failuresToDown: 2, successesToUp: 1, deadAfterMs: 1_000 };

describe('HealthTracker', () => {
  it('goes up, suspect on one failure, down on the second, dead after the grace period', () => {
    const t = new HealthTracker('d1', policy);
    expect(t.success(100)?.to).toBe('up');
    expect(t.success(200)).toBeUndefined();
    expect(t.failure(300, 'no answer in time')).toMatchObject({
      from: 'up',
      to: 'suspect',
      lastOkAt: 200,
      firstFailureAt: 300,
    });
    expect(t.failure(400, 'no answer in time')).toMatchObject({
      from: 'suspect',
      to: 'down',
      lastOkAt: 200,
      firstFailureAt: 300,
      downSince: 400,
    });
    expect(t.tick(1_399)).toBeUndefined();
    expect(t.failure(1_200, 'no answer in time')).toBeUndefined();
    expect(t.tick(1_400)).toMatchObject({ from: 'down', to: 'dead', lastOkAt: 200, downSince: 400 });
    expect(t.tick(5_000)).toBeUndefined();
    expect(t.success(6_000)).toMatchObject({ from: 'dead', to: 'up', firstFailureAt: null });
    expect(t.snapshot()).toMatchObject({
      state: 'up',
      downSince: null,
      consecutiveFailures: 0,
      lastError: null,
    });
  });

  it('a suspect that answers again is up without ever being down', () => {
    const t = new HealthTracker('gw1', policy);
    t.success(0);
    expect(t.failure(10, 'slow')?.to).toBe('suspect');
    expect(t.success(20)).toMatchObject({ from: 'suspect', to: 'up' });
  });

  it('a definitive failure (nothing listens) is down at once', () => {
    const t = new HealthTracker('d1', policy);
    t.success(0);
    expect(t.failure(10, 'connection refused', true)).toMatchObject({
      from: 'up',
      to: 'down',
      cause: 'connection refused',
    });
  });

  it('an outside report of a gone service is down at once, and counts from its own time', () => {
    const t = new HealthTracker('d1', policy);
    t.success(0);
    expect(t.reportGone(50, 'process stopped')).toMatchObject({
      to: 'down',
      lastOkAt: 0,
      firstFailureAt: 50,
      downSince: 50,
    });
    expect(t.reportGone(60, 'again')).toBeUndefined();
    expect(t.tick(1_050)?.to).toBe('dead');
  });

  it('a service never seen up goes down after failures like any other', () => {
    const t = new HealthTracker('w1', policy);
    expect(t.failure(0, 'connection reset')?.to).toBe('suspect');
    expect(t.failure(10, 'connection reset')).toMatchObject({ from: 'suspect', to: 'down', lastOkAt: null });
  });

  it('needs successesToUp good probes in a row to come back', () => {
    const t = new HealthTracker('d1', { ...policy, successesToUp: 2 });
    t.success(0);
    t.failure(1, 'x', true);
    expect(t.success(2)).toBeUndefined();
    expect(t.failure(3, 'x')).toBeUndefined();
    expect(t.success(4)).toBeUndefined();
    expect(t.success(5)?.to).toBe('up');
  });
});
