import { describe, expect, it } from 'vitest';
import type { ChaosTarget } from './chaos-target.js';
import { resolveTarget } from './target-resolver.js';

const inventory: ChaosTarget[] = [
  { name: 'data-1', role: 'data', id: 'd1', labels: { 'com.docker.compose.service': 'data-1' } },
  { name: 'data-2', role: 'data', id: 'd2', labels: { 'com.docker.compose.service': 'data-2' } },
  { name: 'data-10', role: 'data', id: 'd10', labels: { 'com.docker.compose.service': 'data-10' } },
  { name: 'gateway-1', role: 'gateway', labels: { 'com.docker.compose.service': 'gateway' } },
  { name: 'gateway-2', role: 'gateway', labels: { 'com.docker.compose.service': 'gateway' } },
  { name: 'monitor-1', role: 'monitor', id: 'm1', labels: {} },
  { name: 'monitor-2', role: 'monitor', id: 'm2', labels: {} },
];

describe('target selection', () => {
  it('by service name, role or label, random picks in natural name order', async () => {
    expect((await resolveTarget({ service: 'data-2', pick: 'random' }, 0.9, { inventory })).name).toBe(
      'data-2',
    );
    expect((await resolveTarget({ role: 'data', pick: 'random' }, 0, { inventory })).name).toBe('data-1');
    expect((await resolveTarget({ role: 'data', pick: 'random' }, 0.5, { inventory })).name).toBe('data-2');
    expect((await resolveTarget({ role: 'data', pick: 'random' }, 0.99, { inventory })).name).toBe('data-10');
    expect(
      (
        await resolveTarget({ label: 'com.docker.compose.service=gateway', pick: 'random' }, 0.7, {
          inventory,
        })
      ).name,
    ).toBe('gateway-2');
  });

  it('the data node holding the most partitions', async () => {
    const counts = new Map([
      ['d1', 10],
      ['d2', 30],
      ['d10', 20],
    ]);
    const target = await resolveTarget({ role: 'data', pick: 'most-partitions' }, 0.3, {
      inventory,
      partitionCounts: async () => counts,
    });
    expect(target.name).toBe('data-2');
  });

  it('the leader monitor, by the lease holder id', async () => {
    const target = await resolveTarget({ role: 'monitor', pick: 'leader' }, 0, {
      inventory,
      leader: async () => ({ id: 'm2' }),
    });
    expect(target.name).toBe('monitor-2');
    const byUrl = await resolveTarget({ role: 'monitor', pick: 'leader' }, 0, {
      inventory,
      leader: async () => ({ id: 'monitor-a', url: 'http://monitor-1:7070' }),
    });
    expect(byUrl.name).toBe('monitor-1');
    await expect(
      resolveTarget({ role: 'monitor', pick: 'leader' }, 0, { inventory, leader: async () => undefined }),
    ).rejects.toMatchObject({ code: 'NOT_LEADER' });
  });

  it('refuses a selector that matches nothing', async () => {
    await expect(resolveTarget({ role: 'redis', pick: 'first' }, 0, { inventory })).rejects.toMatchObject({
      code: 'NODE_NOT_FOUND',
    });
  });
});
