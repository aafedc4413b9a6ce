import HashRing from 'hashring';
import {
  createStrategy,
  hash64,
  measureBalance,
  measureMovement,
  STRATEGY_KINDS,
  type StrategyKind,
} from '../src/index.js';

export interface QualityRow {
  servers: number;
  strategy: StrategyKind;
  /** most loaded server / ideal load */
  maxOverIdeal: number;
  /** fraction of keys that moved when server N+1 was appended, and the least possible (1/(N+1)) */
  addMoved: number;
  addMinimum: number;
  /** fraction moved when the last server was removed, and the least possible (1/N) */
  removeLastMoved: number;
  removeLastMinimum: number;
  /** fraction moved when the FIRST server was removed (the case jump hash cannot do cheaply) */
  removeFirstMoved: number;
  seconds: number;
}

const ids = (from: number, to: number): { id: string }[] =>
  Array.from({ length: to - from }, (_, i) => ({ id: `s${from + i}` }));

/** Balance and movement of every strategy for each server count, over the same sample of key hashes. */
export function measurePlacementQuality(serverCounts: readonly number[], keyCount: number): QualityRow[] {
  const keys = Array.from({ length: keyCount }, (_, i) => hash64(`key-${i}`));
  const rows: QualityRow[] = [];
  for (const n of serverCounts) {
    for (const kind of STRATEGY_KINDS) {
      const start = performance.now();
      const base = createStrategy(kind, ids(0, n));
      const balance = measureBalance(base, keys);
      const added = measureMovement(base, createStrategy(kind, ids(0, n + 1)), keys);
      const removedLast = measureMovement(base, createStrategy(kind, ids(0, n - 1)), keys);
      const removedFirst = measureMovement(base, createStrategy(kind, ids(1, n)), keys);
      rows.push({
        servers: n,
        strategy: kind,
        maxOverIdeal: balance.maxOverIdeal,
        addMoved: added.fraction,
        addMinimum: added.minimumFraction!,
        removeLastMoved: removedLast.fraction,
        removeLastMinimum: removedLast.minimumFraction!,
        removeFirstMoved: removedFirst.fraction,
        seconds: (performance.now() - start) / 1000,
      });
    }
  }
  return rows;
}

export interface ReferenceQualityRow {
  servers: number;
  strategy: 'hashring (ketama)';
  keys: number;
  maxOverIdeal: number;
  addMoved: number;
  addMinimum: number;
  removeLastMoved: number;
  removeLastMinimum: number;
  removeFirstMoved: number;
}

/**
 * The same measures for the npm `hashring` package (ketama, md5, 160 points per server), on string keys since it
 * hashes them itself. md5 makes it slow, so it runs on fewer keys and server counts.
 */
export function measureKetamaReference(
  serverCounts: readonly number[],
  keyCount: number,
): ReferenceQualityRow[] {
  const keys = Array.from({ length: keyCount }, (_, i) => `key-${i}`);
  const names = (from: number, to: number): string[] => ids(from, to).map((s) => s.id);
  const fractionMoved = (before: HashRing, after: HashRing): number => {
    let moved = 0;
    for (const key of keys) if (before.get(key) !== after.get(key)) moved++;
    return moved / keyCount;
  };
  return serverCounts.map((n) => {
    const base = new HashRing(names(0, n));
    const loads = new Map<string, number>();
    for (const key of keys) {
      const server = base.get(key);
      loads.set(server, (loads.get(server) ?? 0) + 1);
    }
    return {
      servers: n,
      strategy: 'hashring (ketama)',
      keys: keyCount,
      maxOverIdeal: Math.max(...loads.values()) / (keyCount / n),
      addMoved: fractionMoved(base, new HashRing(names(0, n + 1))),
      addMinimum: 1 / (n + 1),
      removeLastMoved: fractionMoved(base, new HashRing(names(0, n - 1))),
      removeLastMinimum: 1 / n,
      removeFirstMoved: fractionMoved(base, new HashRing(names(1, n))),
    };
  });
}
