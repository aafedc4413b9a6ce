import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { isRedoubtError } from '@redoubt/errors';
import {
  freePort,
  REPO_ROOT,
  ServiceProcess,
  Supervisor,
  waitFor as sharedWaitFor,
} from '@redoubt/local-stack';
import { SupervisorDriver, type RuntimeEvent } from './index.js';
import { startSupervisorControlServer, type SupervisorControlServer } from './testing/index.js';

const ADMIN = 'test-admin-key-0123456789';
const fixture = resolve(REPO_ROOT, 'libs/orchestrator/test-fixtures/http-service.ts');
let supervisor: Supervisor;
let control: SupervisorControlServer;
let driver: SupervisorDriver;
const events: RuntimeEvent[] = [];

const waitFor = <T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000) =>
  sharedWaitFor(what, probe, timeoutMs, 50);

beforeAll(async () => {
  supervisor = new Supervisor({ stopGraceMs: 2_000, restartPolicy: { initialDelayMs: 100 } });
  const port = await freePort();
  supervisor.add(
    new ServiceProcess({
      name: 'data-1',
      script: fixture,
      env: { PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/healthz`,
    }),
    { role: 'data' },
  );
  await supervisor.startAll();
  control = await startSupervisorControlServer({ supervisor, adminKey: ADMIN });
  driver = new SupervisorDriver({ url: control.url, adminKey: ADMIN, pollIntervalMs: 50 });
  driver.watch((event) => events.push(event));
  // Let the event source take its first reading.
  await new Promise((r) => setTimeout(r, 200));
});

afterAll(async () => {
  await driver?.close();
  await control?.close();
  await supervisor?.stop();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isRedoubtError(error) ? error.code : String(error);
  }
}

describe('SupervisorDriver (ORCHESTRATOR=local)', () => {
  it('reports a running process, and an unknown one as missing', async () => {
    expect(await driver.status('data-1')).toMatchObject({
      state: 'running',
      detail: 'running',
      disconnected: [],
    });
    expect((await driver.status('data-1')).pid).toBeGreaterThan(0);
    const startedAt = (await driver.status('data-1')).startedAt;
    expect(startedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(startedAt).toBeLessThanOrEqual(Date.now());
    expect((await driver.status('nope')).state).toBe('missing');
  });

  it('reports a killed process at once and starts it again', async () => {
    events.length = 0;
    await supervisor.control('data-1', 'kill');
    const gone = await waitFor('the gone event', () => events.find((e) => e.kind === 'gone'));
    expect(gone.name).toBe('data-1');
    expect(gone.detail).toMatch(/^process (stopped|exited)$/);
    expect((await driver.status('data-1')).state).toBe('stopped');
    await driver.perform('data-1', 'start');
    expect((await driver.status('data-1')).state).toBe('running');
    await waitFor('the back event', () => events.find((e) => e.kind === 'back'));
  });

  it('reports a paused process and restarts it with a new pid', async () => {
    events.length = 0;
    const before = (await driver.status('data-1')).pid;
    await supervisor.control('data-1', 'pause');
    await waitFor('the paused event', () => events.find((e) => e.kind === 'paused'));
    expect((await driver.status('data-1')).state).toBe('paused');
    await driver.perform('data-1', 'restart');
    const after = await driver.status('data-1');
    expect(after.state).toBe('running');
    expect(after.pid).not.toBe(before);
  });

  it("reports a process SIGSTOPped behind the supervisor's back as paused, and resumes the same process", async () => {
    events.length = 0;
    const before = await driver.status('data-1');
    process.kill(before.pid!, 'SIGSTOP');
    try {
      await waitFor('the paused event', () => events.find((e) => e.kind === 'paused'));
      expect((await driver.status('data-1')).state).toBe('paused');
      await driver.perform('data-1', 'unpause');
      const after = await driver.status('data-1');
      expect(after).toMatchObject({ state: 'running', pid: before.pid, startedAt: before.startedAt });
      await waitFor('the back event', () => events.find((e) => e.kind === 'back'));
    } finally {
      process.kill(before.pid!, 'SIGCONT');
    }
  });

  it('reports a crash that the supervisor restarts by itself, with its new start time', async () => {
    events.length = 0;
    const before = await driver.status('data-1');
    await supervisor.control('data-1', 'crash');
    await waitFor('the gone event', () => events.find((e) => e.kind === 'gone'));
    await waitFor(
      'the supervisor to restart it',
      async () => (await driver.status('data-1')).state === 'running',
      45_000,
    );
    expect((await driver.status('data-1')).startedAt).toBeGreaterThan(before.startedAt!);
  }, 60_000);

  it('fails clearly for what it cannot do', async () => {
    expect(await codeOf(driver.perform('data-1', 'reconnect'))).toBe('ORCHESTRATOR_ACTION_FAILED');
    control.refuse('data-1');
    await supervisor.control('data-1', 'kill');
    expect(await codeOf(driver.perform('data-1', 'start'))).toBe('ORCHESTRATOR_ACTION_FAILED');
    control.allow('data-1');
    await driver.perform('data-1', 'start');
    const wrongKey = new SupervisorDriver({ url: control.url, adminKey: 'wrong-admin-key-0123456789' });
    expect(await codeOf(wrongKey.status('data-1'))).toBe('ORCHESTRATOR_ACTION_FAILED');
    await wrongKey.close();
    const nowhere = new SupervisorDriver({ url: `http://127.0.0.1:${await freePort()}`, adminKey: ADMIN });
    expect(await codeOf(nowhere.status('data-1'))).toBe('ORCHESTRATOR_UNAVAILABLE');
    await nowhere.close();
  });
});
