import { describe, expect, it } from 'vitest';
import { checkClusterShape, clusterEnvShape, env, loadConfig, z } from './index.js';

// The placeholders below are the ones this repository once shipped (docker-compose.yml defaults); this test
// is the only place they may still appear: it proves every service refuses them at config load.
const OLD_DEFAULTS = [
  'local-only-cluster-token-change-me',
  'local-only-admin-key-change-me',
  'local-only-api-key-change-me',
];

const cluster = z.object(clusterEnvShape).superRefine(checkClusterShape);
const good = {
  ADMIN_KEY: 'f1d2a07c55e04b3b9a1e6c0d9f7b2a44',
  CLUSTER_TOKEN: '7c4e9a1b03d84f26b5e0a9c1d2f3e4a5',
  DATA_NODES: 'd1=http://127.0.0.1:1',
  REPLICAS: '1',
  WRITE_QUORUM: '1',
  READ_QUORUM: '1',
  REDIS_URL: 'redis://127.0.0.1:6390',
};

function refusal(schema: z.ZodType, values: Record<string, string>): { code?: string; message: string } {
  try {
    loadConfig(schema, values);
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('the configuration was accepted');
}

describe('secrets refused at config load', () => {
  it('accepts generated secrets', () => {
    expect(loadConfig(cluster, good).ADMIN_KEY).toBe(good.ADMIN_KEY);
    expect(
      loadConfig(cluster, { ...good, REDIS_URL: 'redis://:9b8a7c6d5e4f30112233445566778899@redis:6379' })
        .REDIS_URL,
    ).toContain('@redis:6379');
  });

  it.each(OLD_DEFAULTS.flatMap((value) => ['ADMIN_KEY', 'CLUSTER_TOKEN'].map((name) => [name, value])))(
    'refuses %s=%s with CONFIG_INVALID naming the variable',
    (name, value) => {
      const error = refusal(cluster, { ...good, [name]: value });
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toMatch(new RegExp(`${name}: is a documented placeholder`));
    },
  );

  it('refuses empty, short and "example" secrets', () => {
    expect(refusal(cluster, { ...good, ADMIN_KEY: '' }).message).toMatch(/ADMIN_KEY: must be at least 16/);
    expect(refusal(cluster, { ...good, CLUSTER_TOKEN: 'short' }).message).toMatch(/CLUSTER_TOKEN: must be/);
    expect(refusal(cluster, { ...good, ADMIN_KEY: 'my-example-admin-key-0000' }).message).toMatch(
      /ADMIN_KEY: is a documented placeholder/,
    );
  });

  it('refuses a placeholder or short Redis password in REDIS_URL', () => {
    expect(
      refusal(cluster, { ...good, REDIS_URL: 'redis://:local-only-redis-password@redis:6379' }).message,
    ).toMatch(/REDIS_URL: its password is a documented placeholder/);
    expect(refusal(cluster, { ...good, REDIS_URL: 'redis://:pw@redis:6379' }).message).toMatch(
      /REDIS_URL: its password must be at least 16/,
    );
  });

  it('refuses a placeholder among API keys (a list)', () => {
    const schema = z.object({ API_KEYS: env.secretList() });
    expect(
      refusal(schema, { API_KEYS: `9b8a7c6d5e4f30112233445566778899,${OLD_DEFAULTS[2]}` }).message,
    ).toMatch(/API_KEYS\.1: is a documented placeholder/);
  });
});
