import { describe, expect, it } from 'vitest';
import { placementFromNodes, replicasOf, toBinary, validate } from './index.js';

describe('placementFromNodes', () => {
  it('builds the same valid epoch-1 matrix from the same configuration, every time', () => {
    const options = {
      nodes: [{ id: 'd1' }, { id: 'd2' }, { id: 'd3' }, { id: 'd4' }],
      partitions: 256,
      replicas: 3,
    };
    const a = placementFromNodes(options);
    const b = placementFromNodes({ ...options, nodes: [...options.nodes] });
    expect(a.epoch).toBe(1);
    expect(Buffer.from(toBinary(a)).equals(Buffer.from(toBinary(b)))).toBe(true);
    expect(validate(a)).toEqual([]);
  });

  it('spreads replicas over the configured zones', () => {
    const zones = new Map([
      ['d1', 'a'],
      ['d2', 'a'],
      ['d3', 'b'],
      ['d4', 'b'],
    ]);
    const m = placementFromNodes({
      nodes: [...zones.keys()].map((id) => ({ id })),
      zones,
      partitions: 64,
      replicas: 2,
    });
    for (let p = 0; p < 64; p++) {
      const inZones = new Set(replicasOf(m, p).map((id) => zones.get(id)));
      expect(inZones.size).toBe(2);
    }
  });
});
