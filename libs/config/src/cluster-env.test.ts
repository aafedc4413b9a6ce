import { describe, expect, it } from 'vitest';
import { checkClusterShape, clusterEnvShape, loadConfig, z } from './index.js';

const schema = z.object(clusterEnvShape).superRefine(checkClusterShape);
const base = {
  ADMIN_KEY: 'admin-key-0123456789',
  CLUSTER_TOKEN: 'cluster-token-0123456789',
  DATA_NODES: 'd1=http://127.0.0.1:1,d2=http://127.0.0.1:2,d3=http://127.0.0.1:3',
  REDIS_URL: 'redis://127.0.0.1:6390',
};

describe('clusterEnvShape with checkClusterShape', () => {
  it('reads the shared cluster variables with their defaults', () => {
    expect(loadConfig(schema, base)).toMatchObject({
      PARTITIONS: 4096,
      REPLICAS: 3,
      WRITE_QUORUM: 2,
      READ_QUORUM: 2,
    });
  });

  it('names replicas beyond the nodes, quorums beyond N and zones of unknown nodes', () => {
    let message = '';
    try {
      loadConfig(schema, { ...base, REPLICAS: '4', DATA_NODE_ZONES: 'd9=a' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/REPLICAS: 4 replicas need at least as many DATA_NODES \(have 3\)/);
    expect(message).toMatch(/DATA_NODE_ZONES: d9 is not in DATA_NODES/);
    expect(() => loadConfig(schema, { ...base, WRITE_QUORUM: '4' })).toThrow(
      /WRITE_QUORUM: must be <= REPLICAS/,
    );
    expect(() => loadConfig(schema, { ...base, READ_QUORUM: '4' })).toThrow(
      /READ_QUORUM: must be <= REPLICAS/,
    );
  });
});
