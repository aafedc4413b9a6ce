import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadTimeline } from '../measure/load-timeline.js';
import type { ChaosReport, FaultReport } from './report-model.js';
import { writeReports } from './report-writers.js';

const dir = mkdtempSync(join(tmpdir(), 'chaos-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const t0 = Date.parse('2026-11-21T10:00:00Z');

function sampleReport(): ChaosReport {
  const timeline = new LoadTimeline(1000);
  for (let s = 0; s < 30; s += 1)
    for (let i = 0; i < 20; i += 1)
      timeline.record(
        i % 3 ? 'put' : 'get',
        t0 + s * 1000 + i * 40,
        5 + (s % 7),
        !(s >= 10 && s < 13 && i < 5),
      );
  const fault = (
    index: number,
    kind: FaultReport['kind'],
    target: string,
    ttd: number | null,
    ttr: number | null,
  ): FaultReport => ({
    index,
    name: `${kind} ${target}`,
    kind,
    target,
    targetRole: 'data',
    origin: 'fixed',
    scheduledAtMs: index * 10_000,
    outcome: 'injected',
    reason: null,
    injectedAt: t0 + index * 10_000,
    endedAt: t0 + index * 10_000,
    detectedAt: ttd === null ? null : t0 + index * 10_000 + ttd,
    timeToDetectMs: ttd,
    detectSource: ttd === null ? null : 'probe',
    recoveredAt: ttr === null ? null : t0 + index * 10_000 + ttr,
    timeToRecoverMs: ttr,
    recoverSource: ttr === null ? null : 'monitor',
    recoverWithinMs: 5000,
    objectiveMet: ttr !== null && ttr <= 5000,
    duringFault: timeline.window(t0 + index * 10_000, t0 + index * 10_000 + 3000),
  });
  const faults = [fault(1, 'crash', 'data-2', 120, 3400), fault(2, 'pause', 'data-<1>', null, null)];
  return {
    format: 'redoubt.chaos-report',
    version: 1,
    runId: 'run-1',
    scenario: 'sample',
    description: 'a <sample> & "report"',
    seed: 7,
    driver: 'local',
    loadEngine: 'builtin',
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(t0 + 40_000).toISOString(),
    durationMs: 40_000,
    verdict: 'fail',
    failures: ['recovery objectives: #2 pause data-<1>: did not recover'],
    aborted: null,
    registers: { valid: true, overwrittenKeys: 3, writesChecked: 9, lostUpdates: [] },
    writes: {
      attempted: 400,
      acknowledged: 390,
      lost: 0,
      unknown: 6,
      recoveredUnknown: 2,
      unexpected: 0,
      failed: 4,
    },
    checker: null,
    replicas: { checked: true, converged: true, partitions: 32, equal: 32, divergent: [], elapsedMs: 120 },
    faults,
    verifications: [
      { name: 'acknowledged writes survive', passed: true, detail: '390 acknowledged, 0 lost' },
      { name: 'recovery objectives', passed: false, detail: '#2 did not recover' },
    ],
    steadyState: {
      maxErrorRate: 0.01,
      p99Ms: 500,
      outsideFaults: timeline.window(t0, t0 + 10_000),
      met: true,
    },
    load: {
      rate: 20,
      durationMs: 30_000,
      arrivals: 600,
      dropped: 0,
      puts: 400,
      gets: 200,
      overall: timeline.window(t0, t0 + 30_000),
      notes: [],
    },
    timeline: { bucketMs: 1000, buckets: timeline.series() },
    healed: ['resumed data-1'],
    annotations: { posted: 0, failed: 0, url: null },
  };
}

describe('report writers', () => {
  const files = writeReports(join(dir, 'run-1'), sampleReport());

  it('write report.json with the verdict, the write counts and every fault with its times', () => {
    expect(files.json).toBe(join(dir, 'run-1', 'report.json'));
    const report = JSON.parse(readFileSync(files.json, 'utf8')) as ChaosReport;
    expect(report.verdict).toBe('fail');
    expect(report.writes).toMatchObject({ acknowledged: 390, lost: 0, unknown: 6, unexpected: 0 });
    expect(report.faults.map((f) => [f.kind, f.target, f.timeToDetectMs, f.timeToRecoverMs])).toEqual([
      ['crash', 'data-2', 120, 3400],
      ['pause', 'data-<1>', null, null],
    ]);
  });

  it('write report.md with the verdict, counts and a row per fault', () => {
    const md = readFileSync(files.markdown, 'utf8');
    expect(md).toMatch(/^# Chaos run run-1: FAIL/);
    expect(md).toContain('| 400 | 390 | 0 | 6 | 2 | 0 | 4 |');
    expect(md).toMatch(
      /\| 1 \| crash \| data-2 \| injected \| 120 ms \(probe\) \| 3\.4 s \(monitor\) \| 5\.0 s \| met \|/,
    );
    expect(md).toMatch(/\| 2 \| pause \| data-<1> \| injected \| — \| — \| 5\.0 s \| MISSED \|/);
  });

  it('write a self-contained report.html with an inline SVG timeline and fault regions, escaping text', () => {
    const html = readFileSync(files.html, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html.match(/class="fault"/g)?.length).toBe(6); // each injected fault shaded on each of the three panels
    expect(html).toContain('throughput');
    expect(html).toContain('p99 latency');
    expect(html).toContain('data-&lt;1&gt;');
    expect(html).not.toContain('data-<1>');
    // nothing is loaded from elsewhere: no scripts, no external sources or stylesheets
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
  });
});
