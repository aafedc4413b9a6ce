import { describe, expect, it } from 'vitest';
import { loadConfig } from '@redoubt/config';
import { gatewayConfigSchema } from './gateway-config.js';

const base = {
  GATEWAY_ID: 'gw1',
  API_KEYS: 'client-key-0123456789',
  ADMIN_KEY: 'admin-key-0123456789',
  CLUSTER_TOKEN: 'cluster-token-0123456789',
  DATA_NODES: 'd1=http://127.0.0.1:7101,d2=http://127.0.0.1:7102,d3=http://127.0.0.1:7103',
  REDIS_URL: 'redis://127.0.0.1:6390',
};

describe('gateway configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(gatewayConfigSchema, base);
    expect(config).toMatchObject({
      GATEWAY_PORT: 8080,
      PARTITIONS: 4096,
      REPLICAS: 3,
      WRITE_QUORUM: 2,
      READ_QUORUM: 2,
      MAX_VALUE_BYTES: 1_048_576,
      REPLICA_TIMEOUT_MS: 2_000,
      QUEUE_PREFIX: 'redoubt',
    });
    expect(config.DATA_NODE_ZONES.size).toBe(0);
  });

  it('refuses quorums larger than N, N larger than the node list, and zones of unknown nodes', () => {
    const error = (() => {
      try {
        loadConfig(gatewayConfigSchema, {
          ...base,
          REPLICAS: '4',
          WRITE_QUORUM: '5',
          READ_QUORUM: '5',
          DATA_NODE_ZONES: 'd9=z1',
        });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/REPLICAS/);
    expect(error?.message).toMatch(/WRITE_QUORUM/);
    expect(error?.message).toMatch(/READ_QUORUM/);
    expect(error?.message).toMatch(/DATA_NODE_ZONES/);
  });

  it('refuses a writer id that cannot go into a version', () => {
    expect(() => loadConfig(gatewayConfigSchema, { ...base, GATEWAY_ID: 'gw 1' })).toThrow(/GATEWAY_ID/);
  });
});
