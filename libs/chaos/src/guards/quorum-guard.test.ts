import { describe, expect, it } from 'vitest';
import { build, replicasOf } from '@redoubt/placement';
import { checkQuorumGuard } from './quorum-guard.js';

const servers = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `d${i + 1}`, zone: `d${i + 1}`, weight: 1 }));

describe('the quorum guard', () => {
  it('allows taking one of three replicas out when W = 2', () => {
    const placement = build(servers(3), { partitions: 64, replicas: 3 });
    const verdict = checkQuorumGuard({
      placement,
      writeQuorum: 2,
      live: new Set(['d1', 'd2', 'd3']),
      target: 'd2',
    });
    expect(verdict).toMatchObject({ allowed: true, partitionsBelowW: 0 });
  });

  it('refuses a fault that would drop partitions below W live replicas', () => {
    const placement = build(servers(3), { partitions: 64, replicas: 3 });
    // d3 is already down: taking d1 too leaves one replica per partition
    const verdict = checkQuorumGuard({
      placement,
      writeQuorum: 2,
      live: new Set(['d1', 'd2']),
      target: 'd1',
    });
    expect(verdict.allowed).toBe(false);
    expect(verdict.partitionsBelowW).toBe(64);
    expect(verdict.reason).toMatch(/fewer than W=2 live replicas/);
  });

  it('counts exactly the partitions whose rows hold both the target and the node that is down', () => {
    const placement = build(servers(5), { partitions: 256, replicas: 3 });
    const verdict = checkQuorumGuard({
      placement,
      writeQuorum: 2,
      live: new Set(['d1', 'd2', 'd3', 'd4']),
      target: 'd1',
    });
    let expected = 0;
    for (let p = 0; p < 256; p += 1) {
      const row = replicasOf(placement, p);
      if (row.includes('d1') && row.includes('d5')) expected += 1;
    }
    expect(expected).toBeGreaterThan(0);
    expect(verdict.partitionsBelowW).toBe(expected);
    expect(verdict.allowed).toBe(false);
    for (const p of verdict.examples)
      expect(replicasOf(placement, p)).toEqual(expect.arrayContaining(['d1', 'd5']));
  });
});
