import { describe, expect, it } from 'vitest';
import { backupMatrix, directoryTarget } from './backup-targets.js';
import { EMPTY_ROOT, planSweep, rootKey, type SourceRoots } from './backup-sweep.js';

const targets = [directoryTarget('t1', '/b/t1'), directoryTarget('t2', '/b/t2')];
const P = 4096;
const matrix = backupMatrix(targets, P, 2);

function source(withData: Map<number, string>): SourceRoots {
  const roots = new Map<number, string>();
  for (let p = 0; p < P; p++) roots.set(p, withData.get(p) ?? EMPTY_ROOT);
  return { roots, unknown: new Set(), down: [] };
}

describe('planSweep', () => {
  it('gives empty partitions no job, and only changed or never backed-up partitions a job', () => {
    const data = new Map([
      [3, 'aaaa'],
      [77, 'bbbb'],
      [4000, 'cccc'],
    ]);
    const first = planSweep({ matrix, kind: 'auto', source: source(data), recorded: new Map() });
    expect(first.pairs).toHaveLength(6);
    expect(first.empty).toBe(P - 3);
    expect(first.emptyByTarget.get('t1')).toHaveLength(P - 3);

    const recorded = new Map(
      first.pairs.map((p) => [rootKey(p.partition, p.target), data.get(p.partition)!]),
    );
    const quiet = planSweep({ matrix, kind: 'auto', source: source(data), recorded });
    expect(quiet.pairs).toEqual([]);
    expect(quiet.unchanged).toBe(6);

    data.set(77, 'dddd');
    const changed = planSweep({ matrix, kind: 'auto', source: source(data), recorded });
    expect(changed.pairs.map((p) => p.partition)).toEqual([77, 77]);

    // A full sweep backs up every partition holding data, changed or not, and still no empty one.
    expect(planSweep({ matrix, kind: 'full', source: source(data), recorded }).pairs).toHaveLength(6);
  });

  it('enqueues the pairs of partitions whose replicas did not answer (the job then says why)', () => {
    const s = source(new Map());
    s.unknown.add(9);
    const plan = planSweep({ matrix, kind: 'auto', source: s, recorded: new Map() });
    expect(plan.pairs.map((p) => p.partition)).toEqual([9, 9]);
  });
});
