import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, REPO_ROOT, ServiceProcess, startRedisServer } from '@redoubt/local-stack';
import { HealthProber, type HealthTransition } from './index.js';

const fixture = resolve(REPO_ROOT, 'libs/failure-detection/test-fixtures/http-service.ts');
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function waitFor<T>(what: string, probe: () => T, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function prober(targets: { name: string; kind: string; url: string }[]) {
  const p = new HealthProber({ targets, intervalMs: 100, timeoutMs: 300, policy: { deadAfterMs: 1_000 } });
  const transitions: HealthTransition[] = [];
  p.on('transition', (t) => transitions.push(t));
  p.start();
  cleanup.push(() => p.stop());
  return {
    p,
    transitions,
    states: (name: string) => transitions.filter((t) => t.target === name).map((t) => t.to),
  };
}

async function httpService() {
  const port = await freePort();
  const service = new ServiceProcess({
    name: 'svc',
    script: fixture,
    env: { PORT: String(port) },
    readyUrl: `http://127.0.0.1:${port}/healthz`,
  });
  await service.start();
  cleanup.push(() => service.stop(1_000));
  return { service, url: `http://127.0.0.1:${port}` };
}

describe('HealthProber', () => {
  it('sees a killed process as down through the refused connection, then dead, then up when it is back', async () => {
    const { service, url } = await httpService();
    const { p, states } = prober([{ name: 'svc', kind: 'data', url }]);
    await waitFor('up', () => p.state('svc')?.state === 'up');
    await service.kill();
    const down = await waitFor('down', () => (p.state('svc')?.state === 'down' ? p.state('svc') : undefined));
    expect(down.lastError).toBe('connection refused');
    await waitFor('dead', () => p.state('svc')?.state === 'dead');
    await service.start();
    await waitFor('up again', () => p.state('svc')?.state === 'up');
    // (A probe in flight at the kill may see a reset first and make it suspect for a moment.)
    expect(states('svc').filter((s) => s !== 'suspect')).toEqual(['up', 'down', 'dead', 'up']);
  });

  it('sees a stopped (SIGSTOP) process as suspect, then down through timeouts, and up after SIGCONT', async () => {
    const { service, url } = await httpService();
    const { p, transitions } = prober([{ name: 'svc', kind: 'data', url }]);
    await waitFor('up', () => p.state('svc')?.state === 'up');
    service.pause();
    const down = await waitFor('down', () => transitions.find((t) => t.to === 'down'));
    expect(down.cause).toBe('no answer in time');
    expect(transitions.map((t) => t.to)).toContain('suspect');
    expect(down.lastOkAt).not.toBeNull();
    service.resume();
    await waitFor('up again', () => p.state('svc')?.state === 'up');
  });

  it('treats a non-200 answer as a failure', async () => {
    const server: Server = createServer((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const { p } = prober([{ name: 'x', kind: 'gateway', url: `http://127.0.0.1:${port}` }]);
    const down = await waitFor('down', () => (p.state('x')?.state === 'down' ? p.state('x') : undefined));
    expect(down.lastError).toBe('HTTP 503');
  });

  it('probes Redis with PING: up, down when killed, down when stopped, up again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-probe-redis-'));
    dirs.push(dir);
    const redis = await startRedisServer({ dir });
    cleanup.push(() => redis.stop());
    const { p } = prober([{ name: 'redis', kind: 'redis', url: redis.url }]);
    await waitFor('up', () => p.state('redis')?.state === 'up');
    await redis.kill();
    await waitFor('down', () => p.state('redis')?.state === 'down');
    await redis.restart();
    await waitFor('up again', () => p.state('redis')?.state === 'up');
    process.kill(redis.pid()!, 'SIGSTOP');
    cleanup.push(() => {
      const pid = redis.pid();
      if (pid) process.kill(pid, 'SIGCONT');
    });
    await waitFor('down while stopped', () => p.state('redis')?.state === 'down');
    expect(p.state('redis')?.lastError).toBe('no answer in time');
    process.kill(redis.pid()!, 'SIGCONT');
    await waitFor('up after SIGCONT', () => p.state('redis')?.state === 'up');
  });

  it('probes a service that refuses connections more often, so its return is seen soon after it listens', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // rounds every 3 s: only the refusing cadence (100 ms) can see it back within a second
    const p = new HealthProber({
      targets: [{ name: 'late', kind: 'data', url }],
      intervalMs: 3_000,
      timeoutMs: 300,
      refusingIntervalMs: 100,
    });
    p.start();
    cleanup.push(() => p.stop());
    await waitFor('down (refused)', () => p.state('late')?.state === 'down');
    await new Promise((r) => setTimeout(r, 300)); // well inside a round: the next one is seconds away
    const server: Server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const listening = Date.now();
    await waitFor('up', () => p.state('late')?.state === 'up', 2_000);
    expect(Date.now() - listening).toBeLessThan(1_000);
  });

  it('takes outside reports of a gone service at once', async () => {
    const { url } = await httpService();
    const { p } = prober([{ name: 'svc', kind: 'data', url }]);
    await waitFor('up', () => p.state('svc')?.state === 'up');
    p.reportGone('svc', 'the supervisor reports it stopped');
    expect(p.state('svc')?.state).toBe('down');
    // The probes then find it answering and bring it back up.
    await waitFor('up again', () => p.state('svc')?.state === 'up');
  });
});
