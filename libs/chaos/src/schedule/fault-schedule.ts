import {
  TIMED_FAULTS,
  type FaultKind,
  type LinkDirection,
  type Scenario,
  type TargetSelector,
} from '../scenario/scenario-schema.js';
import { createSeededRandom } from './seeded-random.js';

/** One fault of a run, fixed before the run starts: same scenario + seed, same list. */
export interface ScheduledFault {
  /** Position in time order, from 1. */
  index: number;
  name: string;
  /** From the start of the load, ms. */
  at: number;
  kind: FaultKind;
  target: TargetSelector;
  /** pause/disconnect, or stop/kill undone by us after this long; undefined: instantaneous or left to the monitor. */
  duration: number | undefined;
  /** Objective: serving again within this long after the fault ends. */
  recoverWithin: number;
  allowBelowWriteQuorum: boolean;
  /** Uniform in [0, 1): which of the matching targets a `random` pick takes (index = floor(pick * n)). */
  pick: number;
  /** Where it came from: the fixed list, or drawn from the seed. */
  origin: 'fixed' | 'random';
  /** Link faults: the other end (undefined: every peer) and which way packets are hit. */
  link?: { peer: TargetSelector | undefined; direction: LinkDirection; loss: number | undefined };
  /** clock-skew: the offset, ms. */
  skewMs?: number;
}

function describeSelector(selector: TargetSelector): string {
  if (selector.service) return selector.service;
  const what = selector.role ? selector.role : `label ${selector.label}`;
  return selector.pick === 'first' ? what : `${selector.pick} ${what}`;
}

/**
 * Expands a scenario's faults into the run's schedule. The seed decides the random faults' times, kinds,
 * targets and durations, and every fault's `pick` among matching targets; nothing else is random, so the
 * same scenario and seed replay the same schedule (and, against the same set of services, the same targets).
 */
export function buildSchedule(scenario: Scenario, seed: number | string): ScheduledFault[] {
  const picks = createSeededRandom(seed).fork('picks');
  const drawn = createSeededRandom(seed).fork('random-faults');
  const recoverDefault = scenario.verify.recoverWithin;
  const faults: Omit<ScheduledFault, 'index' | 'pick'>[] = scenario.faults.map((fault) => ({
    name: fault.name ?? `${fault.kind} ${describeSelector(fault.target)}`,
    at: fault.at,
    kind: fault.kind,
    target: fault.target,
    duration: fault.duration,
    recoverWithin: fault.recoverWithin ?? recoverDefault,
    allowBelowWriteQuorum: fault.allowBelowWriteQuorum || scenario.guards.allowBelowWriteQuorum,
    origin: 'fixed' as const,
    ...(fault.peer !== undefined || fault.kind.endsWith('link') || fault.kind === 'partition'
      ? { link: { peer: fault.peer, direction: fault.direction, loss: fault.loss } }
      : {}),
    ...(fault.skew !== undefined ? { skewMs: fault.skew } : {}),
  }));

  const random = scenario.random;
  if (random) {
    const [from, to] = random.window;
    const times: number[] = [];
    // Draw start times with the minimum gap; bounded attempts so an over-full window cannot loop forever.
    for (let attempt = 0; attempt < random.count * 50 && times.length < random.count; attempt += 1) {
      const t = from + Math.floor(drawn.next() * (to - from + 1));
      if (times.every((other) => Math.abs(other - t) >= random.minGap)) times.push(t);
    }
    times.sort((a, b) => a - b);
    for (const at of times) {
      const kind = drawn.pick(random.kinds);
      const target = drawn.pick(random.targets);
      const [low, high] = random.duration;
      const span = low + Math.floor(drawn.next() * (high - low + 1));
      const timed = TIMED_FAULTS.includes(kind);
      const undone = (kind === 'stop' || kind === 'kill') && random.undoStopped;
      faults.push({
        name: `${kind} ${describeSelector(target)}`,
        at,
        kind,
        target,
        duration: timed || undone ? span : undefined,
        recoverWithin: recoverDefault,
        allowBelowWriteQuorum: random.allowBelowWriteQuorum || scenario.guards.allowBelowWriteQuorum,
        origin: 'random',
      });
    }
  }

  // Stable sort by time: fixed faults keep their file order at equal times.
  return faults
    .map((fault, order) => ({ fault, order }))
    .sort((a, b) => a.fault.at - b.fault.at || a.order - b.order)
    .map(({ fault }, i) => ({ ...fault, index: i + 1, pick: picks.next() }));
}
