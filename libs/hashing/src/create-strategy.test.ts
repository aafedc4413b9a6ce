import { describe, expect, it } from 'vitest';
import { createStrategy, STRATEGY_KINDS, type StrategyKind } from './create-strategy.js';
import { expectRedoubtError } from './testing/expect-redoubt-error.js';
import { serverIds } from './testing/key-hashes.js';

describe('createStrategy', () => {
  it('builds every kind behind one interface, named after the kind, listing its servers', () => {
    for (const kind of STRATEGY_KINDS) {
      const strategy = createStrategy(kind, serverIds(3));
      expect(strategy.name).toBe(kind);
      expect(strategy.servers).toEqual([
        { id: 's0', weight: 1 },
        { id: 's1', weight: 1 },
        { id: 's2', weight: 1 },
      ]);
      expect(['s0', 's1', 's2']).toContain(strategy.serverFor(123n));
    }
  });

  it('maps everything to the only server of a one-server list', () => {
    for (const kind of STRATEGY_KINDS) {
      const strategy = createStrategy(kind, [{ id: 'solo' }]);
      for (const key of [0n, 1n, 2n ** 63n, 2n ** 64n - 1n]) expect(strategy.serverFor(key)).toBe('solo');
    }
  });

  it('does not keep a reference to the caller’s list or objects', () => {
    const servers = serverIds(3);
    const strategy = createStrategy('rendezvous', servers);
    const before = strategy.serverFor(42n);
    servers[0]!.id = 'changed';
    servers.push({ id: 'extra' });
    expect(strategy.serverFor(42n)).toBe(before);
    expect(strategy.servers?.map((s) => s.id)).toEqual(['s0', 's1', 's2']);
  });

  it('rejects an empty server list with INVALID_ARGUMENT', () => {
    for (const kind of STRATEGY_KINDS) expectRedoubtError(() => createStrategy(kind, []), 'INVALID_ARGUMENT');
  });

  it('rejects a duplicate server id with PLACEMENT_DUPLICATE_SERVER', () => {
    for (const kind of STRATEGY_KINDS) {
      expectRedoubtError(
        () => createStrategy(kind, [{ id: 'a' }, { id: 'b' }, { id: 'a' }]),
        'PLACEMENT_DUPLICATE_SERVER',
      );
    }
  });

  it('rejects zero, negative and non-finite weights with PLACEMENT_BAD_WEIGHT', () => {
    for (const kind of STRATEGY_KINDS) {
      for (const weight of [0, -1, Number.NaN, Infinity, -Infinity, '1']) {
        expectRedoubtError(
          () => createStrategy(kind, [{ id: 'a', weight: weight as number }, { id: 'b' }]),
          'PLACEMENT_BAD_WEIGHT',
        );
      }
    }
  });

  it('rejects a server id that is not a non-empty string with INVALID_ARGUMENT', () => {
    for (const id of ['', 7, null, undefined]) {
      expectRedoubtError(() => createStrategy('ring', [{ id: id as string }]), 'INVALID_ARGUMENT');
    }
    expectRedoubtError(() => createStrategy('ring', [null as unknown as { id: string }]), 'INVALID_ARGUMENT');
  });

  it('rejects an unknown kind with INVALID_ARGUMENT', () => {
    expectRedoubtError(() => createStrategy('maglev' as StrategyKind, serverIds(2)), 'INVALID_ARGUMENT');
  });

  it('rejects a key hash outside [0, 2^64) in serverFor with INVALID_ARGUMENT', () => {
    for (const kind of STRATEGY_KINDS) {
      const strategy = createStrategy(kind, serverIds(3));
      expectRedoubtError(() => strategy.serverFor(-1n), 'INVALID_ARGUMENT');
      expectRedoubtError(() => strategy.serverFor(2n ** 64n), 'INVALID_ARGUMENT');
    }
  });
});
