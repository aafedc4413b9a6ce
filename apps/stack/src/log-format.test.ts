import { describe, expect, it } from 'vitest';
import { compactLogLine, createLogPrinter } from './log-format.js';

describe('log lines of npm start', () => {
  it('shortens a pino JSON line to time, level, message and its own fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-11-21T09:00:01.123Z',
      service: 'gateway',
      pid: 42,
      msg: 'slow request',
      path: '/v1/kv/a b',
      ms: 1200,
    });
    expect(compactLogLine(line)).toBe('09:00:01 WARN  slow request path="/v1/kv/a b" ms=1200');
    expect(compactLogLine('plain redis output')).toBe('plain redis output');
    expect(compactLogLine('{not json')).toBe('{not json');
  });

  it('prefixes each line with its service', () => {
    const out: string[] = [];
    const print = createLogPrinter({ raw: false, colour: false, write: (t) => out.push(t) });
    print({ service: 'data-1', stream: 'stdout', level: 'info', line: 'ready' });
    print({ service: 'stack', stream: 'stack', level: 'error', line: 'GAVE UP on gw-1' });
    expect(out).toEqual(['data-1   | ready\n', 'stack    | GAVE UP on gw-1\n']);
  });
});
