import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  freePort,
  pidAlive,
  REPO_ROOT,
  ServiceProcess,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
} from './index.js';

const fixture = (file: string) => resolve(REPO_ROOT, 'libs/local-stack/test-fixtures', file);
const supervisors: Supervisor[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop(1_000)));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function supervisor(options: SupervisorOptions = {}): { supervisor: Supervisor; events: SupervisorEvent[] } {
  const created = new Supervisor({ stopGraceMs: 5_000, ...options });
  supervisors.push(created);
  const events: SupervisorEvent[] = [];
  created.on((event) => events.push(event));
  return { supervisor: created, events };
}

async function stackService(name: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const service = new ServiceProcess({
    name,
    script: fixture('stack-service.ts'),
    env: { PORT: String(port), NAME: name, ...env },
    readyUrl: `http://127.0.0.1:${port}/readyz`,
  });
  const ask = async () =>
    (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { pid: number; name: string };
  return { service, ask };
}

describe('Supervisor', () => {
  it('restarts a child that keeps crashing with growing delays, then gives up and says so', async () => {
    const { supervisor: sup, events } = supervisor({
      restartPolicy: {
        initialDelayMs: 20,
        factor: 2,
        maxDelayMs: 1_000,
        rapidCrashWindowMs: 60_000,
        maxRapidCrashes: 4,
      },
    });
    const crasher = sup.add(
      new ServiceProcess({ name: 'crasher', script: fixture('crash-at-once.ts'), env: {} }),
    );

    // Without a readiness check a child counts as up once launched; the crashes come right after.
    await Promise.allSettled([crasher.start()]);
    const status = await crasher.waitFor((s) => s.state === 'failed', 30_000);

    expect(status).toMatchObject({
      state: 'failed',
      pid: null,
      crashes: 4,
      consecutiveCrashes: 4,
      restarts: 3,
    });
    expect(status.lastExit).toMatchObject({ code: 1, signal: null });
    const delays = events.flatMap((e) => (e.type === 'restart-scheduled' ? [e.delayMs] : []));
    expect(delays).toEqual([20, 40, 80]);
    const crashes = events.filter((e) => e.type === 'crashed');
    expect(crashes.map((e) => (e.type === 'crashed' ? e.consecutive : 0))).toEqual([1, 2, 3, 4]);
    const gaveUp = events.filter((e) => e.type === 'gave-up');
    expect(gaveUp).toEqual([expect.objectContaining({ name: 'crasher', crashes: 4 })]);
  });

  it('counts a start that never becomes ready as a crash; start() rejects once the supervisor gives up', async () => {
    const { supervisor: sup, events } = supervisor({
      restartPolicy: { initialDelayMs: 10, maxRapidCrashes: 2 },
    });
    const [port, elsewhere] = [await freePort(), await freePort()];
    const deaf = sup.add(
      new ServiceProcess({
        name: 'deaf',
        script: fixture('stack-service.ts'),
        env: { PORT: String(port), NAME: 'deaf' },
        readyUrl: `http://127.0.0.1:${elsewhere}/readyz`,
        readyTimeoutMs: 1_000,
      }),
    );
    await expect(deaf.start()).rejects.toMatchObject({
      code: 'REPLICA_UNAVAILABLE',
      message: expect.stringContaining('deaf did not come up'),
    });
    expect(deaf.status()).toMatchObject({ state: 'failed', pid: null, crashes: 2 });
    expect(events.filter((e) => e.type === 'crashed')).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('was not ready within 1000 ms') }),
      expect.objectContaining({ reason: expect.stringContaining('was not ready within 1000 ms') }),
    ]);
  });

  it('gives up on a program that is not installed, with exit status 127', async () => {
    const { supervisor: sup } = supervisor({ restartPolicy: { initialDelayMs: 10, maxRapidCrashes: 2 } });
    const missing = sup.add(
      new ServiceProcess({ name: 'missing', command: 'redoubt-no-such-program', env: {}, readyPort: 1 }),
    );
    await expect(missing.start()).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    expect(missing.status()).toMatchObject({ state: 'failed', lastExit: { code: 127 } });
  });

  it('restarts a child killed with SIGKILL behind its back, on the same port', async () => {
    const { supervisor: sup, events } = supervisor({ restartPolicy: { initialDelayMs: 50 } });
    const { service, ask } = await stackService('echo');
    const echo = sup.add(service);
    await echo.start();
    const first = echo.pid()!;
    expect((await ask()).pid).toBe(first);

    process.kill(first, 'SIGKILL');
    const back = await echo.waitFor(
      (s) => s.state === 'running' && s.pid !== null && s.pid !== first,
      30_000,
    );

    expect(pidAlive(first)).toBe(false);
    expect((await ask()).pid).toBe(back.pid);
    expect(back).toMatchObject({ restarts: 1, crashes: 1 });
    expect(back.lastExit).toMatchObject({ signal: 'SIGKILL' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'crashed', name: 'echo', consecutive: 1 }));
  });

  it('keeps a killed or stopped child down (like docker kill/stop) until it is started again', async () => {
    const { supervisor: sup } = supervisor({ restartPolicy: { initialDelayMs: 10 } });
    const { service, ask } = await stackService('echo');
    const echo = sup.add(service);
    await echo.start();

    const killedPid = echo.pid()!;
    const killed = await echo.kill();
    expect(killed).toMatchObject({ state: 'stopped', pid: null });
    expect(pidAlive(killedPid)).toBe(false);

    const started = await echo.start();
    expect(started.state).toBe('running');
    expect((await ask()).pid).toBe(started.pid);

    const stopped = await echo.stop();
    expect(stopped).toMatchObject({ state: 'stopped', pid: null, restarts: 1, crashes: 0 });
    expect(stopped.lastExit).toMatchObject({ code: 0 });
  });

  it('crash (SIGKILL through the control path) is restarted by policy; restart gives a new ready process', async () => {
    const { supervisor: sup } = supervisor({ restartPolicy: { initialDelayMs: 10 } });
    const { service, ask } = await stackService('echo');
    sup.add(service);
    await sup.startAll();
    const first = service.pid()!;

    await sup.control('echo', 'crash');
    const afterCrash = await sup.get('echo').waitFor((s) => s.state === 'running', 30_000);
    expect(afterCrash.pid).not.toBe(first);

    const restarted = await sup.control('echo', 'restart');
    expect(restarted.state).toBe('running');
    expect(restarted.pid).not.toBe(afterCrash.pid);
    expect((await ask()).pid).toBe(restarted.pid);
    expect(restarted).toMatchObject({ restarts: 2, crashes: 1 });
  });

  it('pauses (SIGSTOP) and resumes (SIGCONT) a child without restarting it', async () => {
    const { supervisor: sup } = supervisor();
    const { service, ask } = await stackService('echo');
    sup.add(service);
    await sup.startAll();
    const pid = service.pid();

    const paused = await sup.control('echo', 'pause');
    expect(paused).toMatchObject({ state: 'paused', pid });
    await expect(
      fetch(`${service.options.readyUrl}`, { signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    await expect(sup.control('echo', 'pause')).rejects.toMatchObject({ code: 'FAULT_REFUSED' });

    const resumed = await sup.control('echo', 'resume');
    expect(resumed).toMatchObject({ state: 'running', pid, restarts: 0 });
    expect((await ask()).pid).toBe(pid);
  });

  it('rejects unknown processes and actions with catalogue codes', async () => {
    const { supervisor: sup } = supervisor();
    const { service } = await stackService('echo');
    sup.add(service);
    await expect(sup.control('nope', 'kill')).rejects.toMatchObject({ code: 'NODE_NOT_FOUND' });
    await expect(sup.control('echo', 'explode')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => sup.add(service)).toThrow(/already supervised/);
  });

  it('stop() ends every child by PID in reverse tier order, SIGKILLs stragglers, none left running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-supervisor-'));
    dirs.push(dir);
    const stopLog = join(dir, 'stop-order');
    const { supervisor: sup } = supervisor({ stopGraceMs: 1_000 });
    const tiers: [string, number, Record<string, string>][] = [
      ['base', 0, {}],
      ['middle-1', 1, {}],
      ['middle-2', 1, {}],
      ['top', 2, {}],
      ['straggler', 2, { IGNORE_SIGTERM: '1' }],
    ];
    for (const [name, tier, env] of tiers) {
      const { service } = await stackService(name, { STOP_LOG: stopLog, ...env });
      sup.add(service, { tier });
    }
    await sup.startAll();
    // One more child that is paused and one waiting in backoff: stop() must end those too.
    await sup.control('middle-2', 'pause');
    const pids = sup.list().map((s) => s.pid!);
    expect(pids.every((pid) => pidAlive(pid))).toBe(true);

    await sup.stop();

    expect(pids.filter((pid) => pidAlive(pid))).toEqual([]);
    expect(sup.list().every((s) => s.state === 'stopped' && s.pid === null)).toBe(true);
    const order = readFileSync(stopLog, 'utf8').trim().split('\n');
    expect(order[0]).toBe('top');
    expect(order.slice(1, 3).sort()).toEqual(['middle-1', 'middle-2']);
    expect(order[3]).toBe('base');
    expect(sup.get('straggler').status().lastExit).toMatchObject({ signal: 'SIGKILL' });
    await expect(sup.control('top', 'start')).rejects.toMatchObject({ code: 'FAULT_REFUSED' });
  });

  it('stop() cancels a pending restart of a crashed child', async () => {
    const { supervisor: sup, events } = supervisor({
      restartPolicy: { initialDelayMs: 60_000, maxRapidCrashes: 10 },
    });
    const { service } = await stackService('echo');
    const echo = sup.add(service);
    await echo.start();
    const pid = echo.pid()!;
    process.kill(pid, 'SIGKILL');
    await echo.waitFor((s) => s.state === 'backoff', 10_000);

    await sup.stop();

    expect(echo.status()).toMatchObject({ state: 'stopped', pid: null, restarts: 0 });
    expect(events.filter((e) => e.type === 'state' && e.state === 'starting')).toHaveLength(1);
  });
});
