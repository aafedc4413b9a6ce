import { describe, expect, it } from 'vitest';
import {
  checkLinearizability,
  type RegisterInput,
  type RegisterOperation,
  type RegisterOutput,
} from './linearizability.js';

/** op(call, return, input, output): return null = the client never learned the outcome. */
function op(
  call: number,
  ret: number | null,
  input: RegisterInput,
  output: RegisterOutput | null,
  client = `c${call}`,
): RegisterOperation {
  return { key: 'k', client, call, return: ret, input, output };
}
const read = (value: string | null): [RegisterInput, RegisterOutput] => [
  { kind: 'read' },
  { kind: 'read', value },
];
const create = (value: string, ok = true): [RegisterInput, RegisterOutput] => [
  { kind: 'cas', expect: { kind: 'absent' }, value },
  ok ? { kind: 'ok' } : { kind: 'failed' },
];
const cas = (from: string, value: string | null, ok = true): [RegisterInput, RegisterOutput] => [
  { kind: 'cas', expect: { kind: 'value', value: from }, value },
  ok ? { kind: 'ok' } : { kind: 'failed' },
];
const verdict = (ops: RegisterOperation[]) => checkLinearizability(ops).verdict;

describe('checkLinearizability: histories known to be linearizable', () => {
  it('a sequential history that follows the register', () => {
    expect(
      verdict([
        op(0, 1, ...read(null)),
        op(2, 3, ...create('a')),
        op(4, 5, ...create('b', false)),
        op(6, 7, ...cas('a', 'b')),
        op(8, 9, ...cas('a', 'c', false)),
        op(10, 11, ...read('b')),
        op(12, 13, ...cas('b', null)),
        op(14, 15, ...read(null)),
      ]),
    ).toBe('linearizable');
  });

  it('concurrent creates where one wins; reads during a write that see either side', () => {
    expect(
      verdict([
        op(0, 10, ...create('a')),
        op(1, 9, ...create('b', false)),
        op(2, 3, ...read(null)), // before a took effect
        op(4, 12, ...read('a')),
        op(11, 14, ...read('a')),
      ]),
    ).toBe('linearizable');
  });

  it('an operation that timed out may have happened late, or never', () => {
    // the write took effect after the first read
    expect(verdict([op(0, null, ...create('a')), op(1, 2, ...read(null)), op(3, 4, ...read('a'))])).toBe(
      'linearizable',
    );
    // ... or never
    expect(verdict([op(0, null, ...create('a')), op(1, 2, ...read(null)), op(3, 4, ...read(null))])).toBe(
      'linearizable',
    );
    // an unknown conditional write whose condition only held later
    expect(verdict([op(0, null, ...cas('x', 'y')), op(1, 2, ...create('x')), op(3, 4, ...read('y'))])).toBe(
      'linearizable',
    );
  });

  it('operations that touch in time may be ordered either way', () => {
    expect(verdict([op(0, 5, ...create('a')), op(5, 6, ...read(null))])).toBe('linearizable');
  });
});

describe('checkLinearizability: histories known not to be linearizable', () => {
  it('a read after an acknowledged write that misses it (a lost or stale write)', () => {
    const result = checkLinearizability([op(0, 1, ...create('a')), op(2, 3, ...read(null))]);
    expect(result.verdict).toBe('not-linearizable');
    expect(result.problems[0]).toMatchObject({ key: 'k', verdict: 'not-linearizable', operations: 2 });
  });

  it('two creates of the same key both acknowledged', () => {
    expect(verdict([op(0, 10, ...create('a')), op(1, 9, ...create('b'))])).toBe('not-linearizable');
  });

  it('a new value then the old one again, in two reads that do not overlap, during one write', () => {
    expect(
      verdict([
        op(0, 1, ...create('a')),
        op(2, 20, ...cas('a', 'b')),
        op(3, 4, ...read('b')),
        op(5, 6, ...read('a')),
      ]),
    ).toBe('not-linearizable');
  });

  it('a conditional write reported failed although nothing else could have changed the value', () => {
    expect(verdict([op(0, 1, ...create('a')), op(2, 3, ...cas('a', 'b', false))])).toBe('not-linearizable');
  });

  it('an unknown write seen, then unseen', () => {
    expect(verdict([op(0, null, ...create('a')), op(1, 2, ...read('a')), op(3, 4, ...read(null))])).toBe(
      'not-linearizable',
    );
  });

  it('a read of a value nobody wrote', () => {
    expect(verdict([op(0, 1, ...read('ghost'))])).toBe('not-linearizable');
  });

  it('a lost update: two increments from the same read both acknowledged', () => {
    expect(
      verdict([
        op(0, 1, ...create('0')),
        op(2, 3, ...read('0'), 'p'),
        op(2, 3, ...read('0'), 'q'),
        op(4, 8, ...cas('0', '1'), 'p'),
        op(5, 9, ...cas('0', '1b'), 'q'),
      ]),
    ).toBe('not-linearizable');
  });
});

describe('checkLinearizability: keys, bounds and size', () => {
  it('checks keys separately and names the broken one', () => {
    const ops = [
      { ...op(0, 1, ...create('a')), key: 'good' },
      { ...op(0, 1, ...create('a')), key: 'bad' },
      { ...op(2, 3, ...read(null)), key: 'bad' },
    ];
    const result = checkLinearizability(ops);
    expect(result.keys).toBe(2);
    expect(result.problems.map((p) => p.key)).toEqual(['bad']);
  });

  it('answers unknown, not a guess, when the search runs out of steps', () => {
    const ops = concurrentHistory(60, 8, 1);
    const result = checkLinearizability(ops, { maxSteps: 10 });
    expect(result.verdict).toBe('unknown');
    expect(result.problems[0]!.verdict).toBe('unknown');
  });

  it('decides a 2,000-operation history of 8 concurrent clients (with timeouts) within seconds', () => {
    const ops = concurrentHistory(2_000, 8, 7);
    const result = checkLinearizability(ops);
    expect(result.verdict).toBe('linearizable');
    expect(result.ms).toBeLessThan(10_000);
    // break it: one acknowledged read now returns a value from before the last write
    const broken = structuredClone(ops);
    const victim = broken.findLast(
      (o) => o.input.kind === 'read' && o.output?.kind === 'read' && o.output.value !== null,
    )!;
    (victim.output as { value: string | null }).value = 'never-written';
    expect(checkLinearizability(broken).verdict).toBe('not-linearizable');
  });
});

/**
 * A history made by running a real register: each operation takes effect at a random instant inside its
 * own [call, return] interval, `clients` operations overlap at a time, and some writes time out (their
 * outcome unknown to the client, though they did take effect). Linearizable by construction.
 */
export function concurrentHistory(count: number, clients: number, seed: number): RegisterOperation[] {
  let s = seed;
  const random = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const events: { at: number; client: number; input: RegisterInput; call: number; ret: number }[] = [];
  const free = Array.from({ length: clients }, () => 0);
  for (let i = 0; i < count; i++) {
    const client = i % clients;
    const call = free[client]! + random() * 2;
    const ret = call + 1 + random() * 6;
    free[client] = ret;
    const r = random();
    const input: RegisterInput =
      r < 0.4
        ? { kind: 'read' }
        : r < 0.55
          ? { kind: 'cas', expect: { kind: 'absent' }, value: `v${i}` }
          : { kind: 'cas', expect: { kind: 'value', value: `v${Math.floor(random() * i)}` }, value: `v${i}` };
    events.push({ at: call + random() * (ret - call), client, input, call, ret });
  }
  let state: string | null = null;
  const ops: RegisterOperation[] = [];
  for (const e of [...events].sort((a, b) => a.at - b.at)) {
    let output: RegisterOutput;
    if (e.input.kind === 'read') output = { kind: 'read', value: state };
    else if (e.input.kind === 'cas') {
      const holds =
        e.input.expect.kind === 'absent'
          ? state === null
          : state === (e.input.expect as { value: string }).value;
      if (holds) state = e.input.value;
      output = holds ? { kind: 'ok' } : { kind: 'failed' };
    } else {
      state = e.input.value;
      output = { kind: 'ok' };
    }
    const timedOut = e.input.kind !== 'read' && random() < 0.05;
    ops.push({
      key: 'k',
      client: `c${e.client}`,
      input: e.input,
      output: timedOut ? null : output,
      call: e.call,
      return: timedOut ? null : e.ret,
    });
  }
  return ops;
}
