import { describe, expect, it } from 'vitest';
import { instanceCounts, portLayout, REDOUBT_STACK } from './index.js';

const shape = { dataNodes: 3, gateways: 2, worker: true };

describe('portLayout', () => {
  it('uses the service contract defaults when nothing is configured', () => {
    expect(portLayout(REDOUBT_STACK, shape)).toEqual({
      redis: 6390,
      'data-1': 7101,
      'data-2': 7102,
      'data-3': 7103,
      'gw-1': 8080,
      'gw-2': 8081,
      'backup-worker': 8090,
    });
  });

  it('lays everything out from a base port, and a component variable wins over the base', () => {
    expect(portLayout(REDOUBT_STACK, shape, { base: 20000, first: { REDOUBT_GATEWAY_PORT: 9000 } })).toEqual({
      redis: 20000,
      'data-1': 20010,
      'data-2': 20011,
      'data-3': 20012,
      'gw-1': 9000,
      'gw-2': 9001,
      'backup-worker': 20002,
    });
  });

  it('with --redis sentinel adds the replica (+50) and three sentinels (+51..)', () => {
    const sentinel = { ...shape, redis: 'sentinel' as const };
    expect(portLayout(REDOUBT_STACK, sentinel)).toMatchObject({
      redis: 6390,
      'redis-replica': 6391,
      'sentinel-1': 26390,
      'sentinel-2': 26391,
      'sentinel-3': 26392,
    });
    expect(portLayout(REDOUBT_STACK, sentinel, { base: 20000 })).toMatchObject({
      redis: 20000,
      'redis-replica': 20050,
      'sentinel-1': 20051,
      'sentinel-3': 20053,
      'gw-2': 20041,
    });
    expect(Object.keys(portLayout(REDOUBT_STACK, shape))).not.toContain('redis-replica');
  });

  it('base 0 leaves every port to be picked free at start', () => {
    const ports = portLayout(REDOUBT_STACK, shape, { base: 0 });
    expect(new Set(Object.values(ports))).toEqual(new Set([0]));
  });

  it('rejects a layout that runs past port 65535 and instance counts beyond a maximum', () => {
    expect(() => portLayout(REDOUBT_STACK, shape, { base: 65500 })).toThrow(/above 65535/);
    expect(() => instanceCounts(REDOUBT_STACK, { ...shape, gateways: 11 })).toThrow(/gateway: 11 instances/);
    expect(() => instanceCounts(REDOUBT_STACK, { ...shape, dataNodes: 0 })).not.toThrow();
  });
});
