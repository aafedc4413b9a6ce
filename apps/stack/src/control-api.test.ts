import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { listen } from '@redoubt/http-kit';
import { freePort, pidAlive, REPO_ROOT, ServiceProcess, Supervisor } from '@redoubt/local-stack';
import { createLogger, createMetricsRegistry } from '@redoubt/telemetry';
import { createControlApi } from './control-api.js';

const adminKey = 'admin-key-for-the-control-api-test';
const supervisor = new Supervisor({ restartPolicy: { initialDelayMs: 50 }, stopGraceMs: 5_000 });
let server: Server;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  supervisor.add(
    new ServiceProcess({
      name: 'echo',
      script: resolve(REPO_ROOT, 'libs/local-stack/test-fixtures/stack-service.ts'),
      env: { PORT: String(port), NAME: 'echo' },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    }),
    { role: 'data', tier: 1 },
  );
  await supervisor.startAll();
  const api = createControlApi({
    supervisor: () => supervisor,
    adminKey,
    logger: createLogger('stack', 'silent'),
    registry: createMetricsRegistry('stack'),
  });
  const bound = await listen(api, 0, '127.0.0.1');
  server = bound.server;
  base = `http://127.0.0.1:${bound.port}`;
});

afterAll(async () => {
  await supervisor.stop();
  server?.close();
});

const call = (path: string, method = 'GET', key: string | null = adminKey) =>
  fetch(`${base}${path}`, { method, headers: key === null ? {} : { 'x-redoubt-admin-key': key } });

describe('the control API', () => {
  it('needs the admin key', async () => {
    expect((await call('/v1/processes', 'GET', null)).status).toBe(401);
    expect((await call('/v1/processes', 'GET', 'wrong-key-wrong-key')).status).toBe(403);
    const bearer = await fetch(`${base}/v1/processes`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(bearer.status).toBe(200);
  });

  it('lists the processes with pid, state and restarts', async () => {
    const res = await call('/v1/processes');
    const body = (await res.json()) as {
      processes: { name: string; pid: number; state: string; restarts: number }[];
    };
    expect(body.processes).toEqual([
      expect.objectContaining({
        name: 'echo',
        role: 'data',
        state: 'running',
        restarts: 0,
        pid: expect.any(Number),
      }),
    ]);
  });

  it('kills (stays down), starts, pauses, resumes, crashes (restarted by policy) and restarts a process', async () => {
    const first = (await (await call('/v1/processes/echo')).json()) as { pid: number };

    const killed = await (await call('/v1/processes/echo/kill', 'POST')).json();
    expect(killed).toMatchObject({ state: 'stopped', pid: null });
    expect(pidAlive(first.pid)).toBe(false);

    const started = (await (await call('/v1/processes/echo/start', 'POST')).json()) as { pid: number };
    expect(started).toMatchObject({ state: 'running', restarts: 1 });

    expect(await (await call('/v1/processes/echo/pause', 'POST')).json()).toMatchObject({ state: 'paused' });
    const again = await call('/v1/processes/echo/pause', 'POST');
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'FAULT_REFUSED' } });
    expect(await (await call('/v1/processes/echo/resume', 'POST')).json()).toMatchObject({
      state: 'running',
      pid: started.pid,
    });

    await call('/v1/processes/echo/crash', 'POST');
    const back = await supervisor
      .get('echo')
      .waitFor((s) => s.state === 'running' && s.pid !== started.pid, 30_000);
    expect(back.crashes).toBe(1);

    const restarted = (await (await call('/v1/processes/echo/restart', 'POST')).json()) as { pid: number };
    expect(restarted).toMatchObject({ state: 'running', restarts: 3 });
    expect(restarted.pid).not.toBe(back.pid);
  });

  it('answers 404 for an unknown process or action and 405 for a wrong method', async () => {
    const unknown = await call('/v1/processes/nope/kill', 'POST');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NODE_NOT_FOUND' } });
    expect((await call('/v1/processes/echo/explode', 'POST')).status).toBe(404);
    expect((await call('/v1/processes/echo/kill', 'GET')).status).toBe(405);
  });

  it('exports process gauges for Prometheus', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(
      /redoubt_stack_process_up\{process="echo",role="data",state="running",service="stack"\} 1/,
    );
    expect(text).toMatch(/redoubt_stack_process_restarts\{process="echo",role="data",service="stack"\} \d+/);
  });
});
