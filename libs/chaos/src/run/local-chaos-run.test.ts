import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStackFile, startLocalStack, type LocalStack } from '@redoubt/local-stack';
import { LocalFaultDriver } from '../faults/local-fault-driver.js';
import { supervisorControl } from '../faults/supervisor-control.js';
import type { ChaosReport } from '../report/report-model.js';
import { parseScenario } from '../scenario/scenario-loader.js';
import { environmentFromStack, type ChaosEnvironment } from './chaos-environment.js';
import { runScenario } from './chaos-runner.js';

// A real stack (redis-server, data nodes, gateways, backup-worker as processes) with a small P, and a short
// scenario: kill -9 a data node under load (the supervisor restarts it, as a restart policy would), with a
// CAS workload beside it whose history must be linearizable.
const scenario = parseScenario(`
name: e2e-kill-data-node
load: { duration: 30s, rate: 40, warmup: 3s, timeout: 3s, maxInFlight: 64, cas: { clients: 4, keys: 3 } }
faults:
  - { name: kill -9 a data node, at: 8s, kind: crash, target: { role: data, pick: random }, recoverWithin: 45s }
steadyState: { abortErrorRate: 0.9, abortAfter: 20s }
verify: { convergeWithin: 60s }
`);

let home: string;
let stack: LocalStack;
let environment: ChaosEnvironment;
let driver: LocalFaultDriver;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'chaos-e2e-'));
  stack = await startLocalStack({ home, dataNodes: 3, gateways: 2, partitions: 32, logLevel: 'warn' });
  environment = environmentFromStack(readStackFile(stack.stackFile)!);
  driver = new LocalFaultDriver(supervisorControl(stack.supervisor), environment.processes);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe('a local chaos run', () => {
  it('kills a data node under load, loses no acknowledged write, and writes the reports', async () => {
    const lines: string[] = [];
    const { report, files } = await runScenario({
      scenario,
      seed: 11,
      environment,
      driver,
      reportRoot: join(home, 'reports'),
      log: (line) => lines.push(line),
    });
    expect(report.verdict, `failures: ${report.failures.join('; ')}\n${lines.join('\n')}`).toBe('pass');
    expect(report.writes.acknowledged).toBeGreaterThan(0);
    expect(report.writes.lost).toBe(0);
    expect(report.writes.unexpected).toBe(0);
    expect(report.faults).toHaveLength(1);
    expect(report.faults[0]).toMatchObject({
      kind: 'crash',
      targetRole: 'data',
      outcome: 'injected',
      objectiveMet: true,
    });
    expect(report.faults[0]!.timeToRecoverMs).not.toBeNull();
    expect(report.replicas).toMatchObject({ converged: true, partitions: 32 });
    expect(report.cas?.result.verdict).toBe('linearizable');
    expect(report.cas?.operations.answered).toBeGreaterThan(20);
    expect(report.verifications.map((v) => v.name)).toContain('conditional writes linearizable');

    for (const file of [files.json, files.markdown, files.html, files.history])
      expect(existsSync(file)).toBe(true);
    const written = JSON.parse(readFileSync(files.json, 'utf8')) as ChaosReport;
    expect(written).toMatchObject({ verdict: 'pass', runId: report.runId });
    expect(written.faults[0]).toHaveProperty('timeToDetectMs');
    const history = readFileSync(files.history, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(history.filter((e) => e.type === 'invoke').length).toBe(report.writes.attempted);
  }, 240_000);

  it('heals what a run left paused or down', async () => {
    const inventory = await driver.inventory();
    const data = inventory.find((t) => t.name === 'data-1')!;
    const gateway = inventory.find((t) => t.name === 'gw-2')!;
    await driver.inject('pause', data);
    await driver.inject('kill', gateway);
    expect((await driver.state(data)).state).toBe('paused');
    expect((await driver.state(gateway)).state).toBe('stopped');
    const healed = await driver.healAll();
    expect(healed).toEqual(expect.arrayContaining(['resumed data-1', 'started gw-2']));
    expect((await driver.state(data)).state).toBe('running');
    expect((await driver.state(gateway)).state).toBe('running');
  }, 120_000);

  it('refuses the network faults it cannot do on processes', async () => {
    const [target] = await driver.inventory();
    expect(driver.supports('disconnect')).toBe(false);
    await expect(driver.inject('disconnect', target!)).rejects.toMatchObject({ code: 'FAULT_REFUSED' });
  });
});
