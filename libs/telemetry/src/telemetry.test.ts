import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Counter, createLogger, createMetricsRegistry } from './index.js';

describe('telemetry', () => {
  it('labels every metric with the service and includes process metrics', async () => {
    const registry = createMetricsRegistry('unit-test');
    new Counter({ name: 'redoubt_test_total', help: 'test', registers: [registry] }).inc(3);
    const text = await registry.metrics();
    expect(text).toMatch(/redoubt_test_total\{service="unit-test"\} 3/);
    expect(text).toMatch(/process_cpu_seconds_total\{service="unit-test"\}/);
  });

  it('creates a logger that stamps the service name', () => {
    const logger = createLogger('svc', 'info');
    expect(logger.bindings()).toMatchObject({ service: 'svc' });
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) });
    pino({ base: { service: 'svc' }, redact: ['token'] }, sink).info({ token: 'secret' }, 'hello');
    expect(lines[0]).toContain('"service":"svc"');
  });
});
