import { describe, expect, it } from 'vitest';
import {
  checkRedisEnv,
  describeRedisTarget,
  loadConfig,
  redisEnvOf,
  redisEnvShape,
  redisTargetOf,
  z,
} from './index.js';

const schema = z.object(redisEnvShape).superRefine(checkRedisEnv);
const load = (env: Record<string, string>) => redisTargetOf(loadConfig(schema, env));

describe('the Redis variables', () => {
  it('REDIS_URL alone is one server; REDIS_PASSWORD fills a URL without a password', () => {
    expect(load({ REDIS_URL: 'redis://127.0.0.1:6390' })).toEqual({
      kind: 'single',
      url: 'redis://127.0.0.1:6390',
    });
    expect(load({ REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'p@ss word, long enough' })).toEqual({
      kind: 'single',
      url: 'redis://:p%40ss%20word%2C%20long%20enough@r:6379',
    });
    // A password in the URL wins.
    expect(
      load({ REDIS_URL: 'redis://:in-url-password-0123@r:6379', REDIS_PASSWORD: 'other-password-0123' }),
    ).toEqual({
      kind: 'single',
      url: 'redis://:in-url-password-0123@r:6379',
    });
  });

  it('REDIS_SENTINELS with REDIS_SENTINEL_NAME is a master behind Sentinel (an empty REDIS_URL is unset)', () => {
    const target = load({
      REDIS_URL: '',
      REDIS_SENTINELS: 'sentinel-1:26379, 127.0.0.1:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'redoubt',
      REDIS_PASSWORD: 'redis-secret-0123456789',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret-0123456789',
    });
    expect(target).toEqual({
      kind: 'sentinel',
      name: 'redoubt',
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: '127.0.0.1', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      password: 'redis-secret-0123456789',
      sentinelPassword: 'sentinel-secret-0123456789',
    });
    expect(describeRedisTarget(target)).toBe(
      'sentinel redoubt via sentinel-1:26379,127.0.0.1:26380,::1:26381',
    );
    if (target.kind !== 'sentinel') throw new Error('expected a sentinel target');
    expect(redisEnvOf({ ...target, sentinels: target.sentinels.slice(0, 2) })).toEqual({
      REDIS_SENTINELS: 'sentinel-1:26379,127.0.0.1:26380',
      REDIS_SENTINEL_NAME: 'redoubt',
      REDIS_PASSWORD: 'redis-secret-0123456789',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret-0123456789',
    });
    expect(describeRedisTarget('redis://:secret@r:6379')).toBe('redis://***@r:6379');
  });

  it('names what is wrong: neither, both, a name without sentinels, a bad address', () => {
    expect(() => load({})).toThrow(/REDIS_URL: is required/);
    expect(() =>
      load({ REDIS_URL: 'redis://r:1', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' }),
    ).toThrow(/not both/);
    expect(() => load({ REDIS_SENTINELS: 's:26379' })).toThrow(
      /REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS/,
    );
    expect(() => load({ REDIS_URL: 'redis://r:1', REDIS_SENTINEL_NAME: 'm' })).toThrow(
      /REDIS_SENTINELS: is required with REDIS_SENTINEL_NAME/,
    );
    expect(() => load({ REDIS_SENTINELS: 's:26379,s2', REDIS_SENTINEL_NAME: 'm' })).toThrow(
      /REDIS_SENTINELS: "s2" is not host:port/,
    );
    expect(() => load({ REDIS_SENTINELS: 's:70000', REDIS_SENTINEL_NAME: 'm' })).toThrow(/is not host:port/);
  });
});
