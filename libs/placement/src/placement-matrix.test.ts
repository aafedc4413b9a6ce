import { describe, expect, it } from 'vitest';
import { assertNewerEpoch, build, partitionsOf, rebalance, replicasOf } from './index.js';

const servers = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, zone: `z${i % 3}`, weight: 1 }));
const m = build(servers, { partitions: 200, replicas: 3 });

describe('lookups', () => {
  it('replicasOf and partitionsOf are two views of the same cells', () => {
    for (const server of servers) {
      for (const p of partitionsOf(m, server.id)) expect(replicasOf(m, p)).toContain(server.id);
    }
    const total = servers.reduce((sum, s) => sum + partitionsOf(m, s.id).length, 0);
    expect(total).toBe(200 * 3);
    expect(replicasOf(m, 7)[0]).toBe(m.servers[m.cells[7 * 3]!]!.id); // primary first
  });

  it('knows nothing of an unknown server and rejects an unknown partition', () => {
    expect(partitionsOf(m, 'nobody')).toEqual([]);
    expect(() => replicasOf(m, 200)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
    expect(() => replicasOf(m, -1)).toThrow(/outside/);
  });
});

describe('assertNewerEpoch', () => {
  it('accepts a newer matrix and refuses an equal or older one', () => {
    const next = rebalance(m, servers.slice(1));
    expect(() => assertNewerEpoch(m, next)).not.toThrow();
    expect(() => assertNewerEpoch(next, m)).toThrow(
      expect.objectContaining({ code: 'PLACEMENT_STALE_EPOCH' }) as Error,
    );
    expect(() => assertNewerEpoch(2, 2)).toThrow(/not newer/);
  });
});
