import { describe, expect, it } from 'vitest';
import { env, loadConfig, z } from './index.js';

const schema = z.object({
  PORT: env.port().default(8080),
  API_KEYS: env.secretList(),
  DATA_NODES: env.idUrlList(),
  VERBOSE: env.booleanFlag().default(false),
});

describe('loadConfig', () => {
  it('parses and coerces a valid environment', () => {
    const config = loadConfig(schema, {
      API_KEYS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb',
      DATA_NODES: 'd1=http://127.0.0.1:7001,d2=http://127.0.0.1:7002/',
      VERBOSE: 'yes',
    });
    expect(config).toEqual({
      PORT: 8080,
      API_KEYS: ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'],
      DATA_NODES: [
        { id: 'd1', url: 'http://127.0.0.1:7001' },
        { id: 'd2', url: 'http://127.0.0.1:7002' },
      ],
      VERBOSE: true,
    });
  });

  it('names every wrong variable in one CONFIG_INVALID error', () => {
    let caught: unknown;
    try {
      loadConfig(schema, { PORT: '70000', API_KEYS: 'short', DATA_NODES: 'd1=nope,d1=http://x:1' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'CONFIG_INVALID' });
    const message = (caught as Error).message;
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/API_KEYS/);
    expect(message).toMatch(/DATA_NODES/);
  });
});
