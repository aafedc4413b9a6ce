import { describe, expect, it } from 'vitest';
import { HedgeBudget, HedgeScheduler } from './hedge-scheduler.js';

describe('HedgeScheduler', () => {
  it('runs every callback once, in the order scheduled, not before its delay', async () => {
    const scheduler = new HedgeScheduler(20);
    const ran: number[] = [];
    const early: number[] = [];
    const scheduledAt: number[] = [];
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    for (let i = 0; i < 5; i++) {
      scheduledAt.push(performance.now());
      scheduler.schedule(() => {
        if (performance.now() - scheduledAt[i]! < 19) early.push(i);
        ran.push(i);
        if (ran.length === 10) done();
      });
    }
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 5; i < 10; i++) {
      scheduledAt.push(performance.now());
      scheduler.schedule(() => {
        if (performance.now() - scheduledAt[i]! < 19) early.push(i);
        ran.push(i);
        if (ran.length === 10) done();
      });
    }
    await all;
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(early).toEqual([]);
  });

  it('never runs a cancelled callback, and counts only the ones still due', async () => {
    const scheduler = new HedgeScheduler(10);
    const ran: string[] = [];
    const first = scheduler.schedule(() => ran.push('first'));
    scheduler.schedule(() => ran.push('second'));
    const third = scheduler.schedule(() => ran.push('third'));
    scheduler.cancel(first);
    scheduler.cancel(third);
    scheduler.cancel(third); // twice is harmless
    expect(scheduler.pending()).toBe(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(ran).toEqual(['second']);
    expect(scheduler.pending()).toBe(0);
    scheduler.cancel(first); // a spent ticket is ignored
    const later = scheduler.schedule(() => ran.push('later'));
    expect(later).toBeGreaterThan(third); // tickets stay unique after the queue emptied
    await new Promise((r) => setTimeout(r, 40));
    expect(ran).toEqual(['second', 'later']);
  });
});

describe('HedgeBudget', () => {
  it('allows a burst, then one hedge per 1/ratio reads', () => {
    const budget = new HedgeBudget(0.25, 2);
    expect([budget.spend(), budget.spend(), budget.spend()]).toEqual([true, true, false]);
    for (let i = 0; i < 3; i++) budget.earn();
    expect(budget.spend()).toBe(false);
    budget.earn();
    expect(budget.spend()).toBe(true);
    for (let i = 0; i < 100; i++) budget.earn();
    expect([budget.spend(), budget.spend(), budget.spend()]).toEqual([true, true, false]); // never more than the burst
  });
});
