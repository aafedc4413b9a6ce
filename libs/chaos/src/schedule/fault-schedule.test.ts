import { describe, expect, it } from 'vitest';
import { parseScenario } from '../scenario/scenario-loader.js';
import type { ChaosTarget } from '../targets/chaos-target.js';
import { resolveTarget } from '../targets/target-resolver.js';
import { buildSchedule } from './fault-schedule.js';
import { createSeededRandom } from './seeded-random.js';

const scenario = parseScenario(`
name: random-mix
load: { duration: 120s, rate: 50 }
faults:
  - { at: 5s, kind: crash, target: { role: data, pick: random } }
random:
  count: 6
  kinds: [kill, stop, pause, crash, restart]
  targets: [{ role: data, pick: random }, { role: gateway, pick: random }]
  window: [10s, 100s]
  minGap: 8s
  duration: [1s, 4s]
  undoStopped: true
`);

const inventory: ChaosTarget[] = [
  ...['data-1', 'data-2', 'data-3'].map((name, i) => ({ name, role: 'data', id: `d${i + 1}`, labels: {} })),
  ...['gw-1', 'gw-2'].map((name) => ({ name, role: 'gateway', labels: {} })),
];

async function targetsOf(seed: number | string): Promise<string[]> {
  const schedule = buildSchedule(scenario, seed);
  return Promise.all(schedule.map(async (f) => (await resolveTarget(f.target, f.pick, { inventory })).name));
}

describe('seeded schedules', () => {
  it('replay identically from the same seed: times, kinds, durations, picks and targets', async () => {
    expect(buildSchedule(scenario, 42)).toEqual(buildSchedule(scenario, 42));
    expect(buildSchedule(scenario, 'night-run')).toEqual(buildSchedule(scenario, 'night-run'));
    expect(await targetsOf(42)).toEqual(await targetsOf(42));
  });

  it('differ for another seed', () => {
    const a = buildSchedule(scenario, 1).map((f) => [f.at, f.kind, f.pick]);
    const b = buildSchedule(scenario, 2).map((f) => [f.at, f.kind, f.pick]);
    expect(a).not.toEqual(b);
  });

  it('keep random faults inside the window, apart by the minimum gap, in time order', () => {
    for (const seed of [1, 2, 3, 'x', 'y']) {
      const schedule = buildSchedule(scenario, seed);
      const drawn = schedule.filter((f) => f.origin === 'random');
      expect(drawn.length).toBe(6);
      for (const f of drawn) {
        expect(f.at).toBeGreaterThanOrEqual(10_000);
        expect(f.at).toBeLessThanOrEqual(100_000);
        if (f.kind === 'pause' || f.kind === 'stop' || f.kind === 'kill') {
          expect(f.duration).toBeGreaterThanOrEqual(1000);
          expect(f.duration).toBeLessThanOrEqual(4000);
        } else expect(f.duration).toBeUndefined();
      }
      for (let i = 1; i < drawn.length; i += 1)
        expect(drawn[i]!.at - drawn[i - 1]!.at).toBeGreaterThanOrEqual(8000);
      expect(schedule.map((f) => f.index)).toEqual(schedule.map((_, i) => i + 1));
      expect([...schedule].sort((a, b) => a.at - b.at)).toEqual(schedule);
    }
  });

  it('keeps the fixed faults as written', () => {
    const [first] = buildSchedule(scenario, 9);
    expect(first).toMatchObject({ at: 5000, kind: 'crash', origin: 'fixed', recoverWithin: 5000 });
  });

  it('draws the same numbers from the same seed, and independent streams per fork', () => {
    const a = createSeededRandom(7);
    const b = createSeededRandom(7);
    const drawsA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(drawsA);
    expect(createSeededRandom(7).fork('x').next()).toBe(createSeededRandom(7).fork('x').next());
    expect(createSeededRandom(7).fork('x').next()).not.toBe(createSeededRandom(7).fork('y').next());
  });
});
