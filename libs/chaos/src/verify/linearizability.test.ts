import { describe, expect, it } from 'vitest';
import {
  checkLinearizability,
  type RegisterInput,
  type RegisterOperation,
  type RegisterOutput,
} from './linearizability.js';
import { concurrentHistory, withStaleRead } from './generated-history.js';

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

  it('a read of a value nobody wrote (refuted without a search)', () => {
    const result = checkLinearizability([op(0, 1, ...create('a')), op(2, 3, ...read('ghost'))]);
    expect(result.verdict).toBe('not-linearizable');
    expect(result.problems[0]!.steps).toBe(0);
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

  it('decides a 1,000-operation history of 8 concurrent clients (with timeouts), and its stale-read twin', () => {
    const ops = concurrentHistory(1_000, 8, 7);
    const result = checkLinearizability(ops);
    expect(result.verdict).toBe('linearizable');
    expect(result.ms).toBeLessThan(10_000);
    // break it: the last read returns the first value written (long overwritten): found by exhausting the search
    expect(checkLinearizability(withStaleRead(ops)).verdict).toBe('not-linearizable');
  });
});
