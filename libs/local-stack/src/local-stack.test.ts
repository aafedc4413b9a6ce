import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  freePort,
  pidAlive,
  processStartTime,
  readStackFile,
  REPO_ROOT,
  startLocalStack,
  type ComponentDefinition,
  type LocalStack,
  type LocalStackOptions,
  type StackDefinition,
} from './index.js';

const fixture = (file: string) => resolve(REPO_ROOT, 'libs/local-stack/test-fixtures', file);
const stacks: LocalStack[] = [];
const homes: string[] = [];

afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.stop()));
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'redoubt-stack-'));
  homes.push(home);
  return home;
}

/** A component of stand-in services (test-fixtures/stack-service.ts). */
function standIn(
  role: string,
  tier: number,
  count: number,
  extra: Partial<ComponentDefinition> = {},
): ComponentDefinition {
  return {
    role,
    tier,
    count: () => count,
    maxInstances: 5,
    name: (i) => `${role}-${i}`,
    id: (i) => `${role[0]}${i}`,
    run: { command: process.execPath, args: () => ['--import', 'tsx', fixture('stack-service.ts')] },
    defaultPort: 0,
    portOffset: 0,
    portVariable: `TEST_${role.toUpperCase()}_PORT`,
    scheme: 'http',
    readiness: 'http',
    stateDir: (i) => `state/${role}-${i}`,
    env: (instance, context) => ({
      PORT: String(instance.port),
      NAME: instance.name,
      DIR: instance.dir ?? '',
      CLUSTER_TOKEN: context.keys.clusterToken,
      STOP_LOG: join(context.home, 'stop-order'),
    }),
    ...extra,
  };
}

const definition: StackDefinition = {
  components: [
    standIn('redis', 0, 1, { scheme: 'redis', readiness: 'tcp', name: () => 'redis' }),
    standIn('data', 1, 2),
    standIn('gateway', 2, 2, { stateDir: undefined }),
  ],
  stateRoots: ['state', 'logs'],
};

async function start(options: Partial<LocalStackOptions> & { home: string }): Promise<LocalStack> {
  const stack = await startLocalStack({ definition, restartPolicy: { initialDelayMs: 50 }, ...options });
  stacks.push(stack);
  return stack;
}

const ask = async (url: string) =>
  (await (await fetch(url)).json()) as { pid: number; name: string; starts: number; clusterToken: string };

describe('startLocalStack', () => {
  it('starts every process, writes stack.json (0600) with endpoints, pids and keys, stops in reverse order', async () => {
    const home = tempHome();
    const stack = await start({ home, keys: { apiKey: 'a'.repeat(20) } });

    expect(stack.processes().map((p) => p.status().state)).toEqual(Array(5).fill('running'));
    expect(stack.keys.apiKey).toBe('a'.repeat(20));
    expect(stack.keys.adminKey).toMatch(/^[0-9a-f]{48}$/);
    expect(stack.keys.clusterToken).toMatch(/^[0-9a-f]{48}$/);
    expect(stack.keys.clusterToken).not.toBe(stack.keys.adminKey);
    for (const gateway of stack.gateways)
      expect((await ask(gateway.url)).clusterToken).toBe(stack.keys.clusterToken);

    expect(statSync(stack.stackFile).mode & 0o777).toBe(0o600);
    const file = readStackFile(stack.stackFile)!;
    expect(file).toMatchObject({
      version: 1,
      home,
      state: 'running',
      supervisor: { pid: process.pid, control: null },
      keys: stack.keys,
      redis: { url: stack.redisUrl },
      dataNodes: stack.dataNodes,
      gateways: stack.gateways,
    });
    expect(stack.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(file.processes.map((p) => [p.name, p.pid, p.state])).toEqual(
      stack.processes().map((p) => [p.name, p.pid(), 'running']),
    );
    for (const p of file.processes) expect(p.pidStartTime).toBe(processStartTime(p.pid!));
    expect(stack.clusterEnv).toMatchObject({
      CLUSTER_TOKEN: stack.keys.clusterToken,
      DATA_NODES: stack.dataNodes.map((d) => `${d.id}=${d.url}`).join(','),
      REDIS_URL: stack.redisUrl,
      REPLICAS: '2',
    });

    const pids = stack.processes().map((p) => p.pid()!);
    await stack.stop();
    expect(pids.filter(pidAlive)).toEqual([]);
    expect(existsSync(stack.stackFile)).toBe(false);
    const order = readFileSync(join(home, 'stop-order'), 'utf8').trim().split('\n');
    expect(order.slice(0, 2).sort()).toEqual(['gateway-1', 'gateway-2']);
    expect(order.slice(2, 4).sort()).toEqual(['data-1', 'data-2']);
    expect(order[4]).toBe('redis');
    expect(readFileSync(join(home, 'logs', 'data-1.log'), 'utf8')).toBe('');
  });

  it('keeps stack.json current when a process is restarted after a crash', async () => {
    const stack = await start({ home: tempHome() });
    const data = stack.process('data-1');
    const before = data.pid()!;
    process.kill(before, 'SIGKILL');
    const after = await data.waitFor((s) => s.state === 'running' && s.pid !== before, 30_000);

    await expect
      .poll(() => readStackFile(stack.stackFile)?.processes.find((p) => p.name === 'data-1')?.pid, {
        timeout: 5_000,
      })
      .toBe(after.pid);
    expect((await ask(stack.dataNodes[0]!.url)).pid).toBe(after.pid);
  });

  it('keeps state across runs and wipes it with fresh', async () => {
    const home = tempHome();
    const first = await start({ home });
    expect((await ask(first.dataNodes[0]!.url)).starts).toBe(1);
    await first.stop();

    const second = await start({ home });
    expect((await ask(second.dataNodes[0]!.url)).starts).toBe(2);
    await second.stop();

    const logs: string[] = [];
    const third = await start({ home, fresh: true, log: (e) => logs.push(e.line) });
    expect((await ask(third.dataNodes[0]!.url)).starts).toBe(1);
    expect(logs.some((l) => l.startsWith('--fresh: deleted') && l.includes(join(home, 'state')))).toBe(true);
  });

  it('refuses a second stack on the same home while the first runs', async () => {
    const home = tempHome();
    await start({ home });
    await expect(start({ home })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('already running'),
    });
  });

  it('names a fixed port that is already in use, before starting anything', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const home = tempHome();
      await expect(start({ home, ports: { 'data-2': port } })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining(`${port} (data-2)`),
        details: { busy: ['data-2'] },
      });
      expect(existsSync(join(home, 'stack.lock'))).toBe(false);
      // The home is free again for a stack on free ports.
      await start({ home });
    } finally {
      blocker.close();
    }
  });

  it('fails with the process name and its log when a process cannot come up, leaving nothing running', async () => {
    const home = tempHome();
    const broken: StackDefinition = {
      components: [
        standIn('data', 1, 1),
        standIn('gateway', 2, 1, {
          run: { command: process.execPath, args: () => ['--import', 'tsx', fixture('crash-at-once.ts')] },
        }),
      ],
      stateRoots: ['state'],
    };
    const logs: string[] = [];
    const failed = startLocalStack({
      home,
      definition: broken,
      restartPolicy: { initialDelayMs: 10, maxRapidCrashes: 2 },
      readyTimeoutMs: 10_000,
      log: (e) => logs.push(`${e.service} ${e.line}`),
    });
    await expect(failed).rejects.toMatchObject({
      code: 'REPLICA_UNAVAILABLE',
      message: expect.stringContaining(join(home, 'logs', 'gateway-1.log')),
    });
    expect(logs.some((l) => l.startsWith('stack GAVE UP on gateway-1'))).toBe(true);
    const dataPid = logs.map((l) => /data-1 is up \(pid (\d+)\)/.exec(l)).find(Boolean)?.[1];
    expect(dataPid).toBeDefined();
    expect(pidAlive(Number(dataPid))).toBe(false);
    expect(existsSync(join(home, 'stack.json'))).toBe(false);
    expect(existsSync(join(home, 'stack.lock'))).toBe(false);
  });

  it('skips an optional app that does not exist yet and refuses to start without a required one', async () => {
    const withOptional: StackDefinition = {
      components: [
        standIn('data', 1, 1),
        standIn('monitor', 3, 1, { run: { app: 'no-such-app' }, optional: true }),
      ],
      stateRoots: [],
    };
    const stack = await start({ home: tempHome(), definition: withOptional });
    expect(stack.skipped).toEqual(['monitor']);
    expect(stack.processes().map((p) => p.name)).toEqual(['data-1']);

    const withRequired: StackDefinition = {
      components: [standIn('data', 1, 1, { run: { app: 'no-such-app' } })],
      stateRoots: [],
    };
    await expect(start({ home: tempHome(), definition: withRequired })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('apps/no-such-app/src/main.ts does not exist'),
    });
  });

  it('stops the processes a killed supervisor left behind, found by PID and start time in stack.json', async () => {
    const home = tempHome();
    mkdirSync(home, { recursive: true });
    const port = await freePort();
    const orphan = spawn(process.execPath, ['--import', 'tsx', fixture('stack-service.ts')], {
      env: { ...process.env, PORT: String(port), NAME: 'orphan' },
      stdio: 'ignore',
    });
    try {
      await expect
        .poll(
          () =>
            fetch(`http://127.0.0.1:${port}/readyz`).then(
              (r) => r.status,
              () => 0,
            ),
          {
            timeout: 20_000,
          },
        )
        .toBe(200);
      // A supervisor that no longer exists: a process that has already exited.
      const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
      const deadPid = Number(gone.stdout.trim());
      writeFileSync(join(home, 'stack.lock'), JSON.stringify({ pid: deadPid, pidStartTime: '1' }));
      writeFileSync(
        join(home, 'stack.json'),
        JSON.stringify({
          processes: [{ name: 'data-1', pid: orphan.pid, pidStartTime: processStartTime(orphan.pid!) }],
        }),
      );
      const logs: string[] = [];
      await start({ home, log: (e) => logs.push(e.line) });
      expect(pidAlive(orphan.pid!)).toBe(false);
      expect(logs).toContain(`stopped 1 processes a previous run left behind (pids ${orphan.pid})`);
    } finally {
      orphan.kill('SIGKILL');
    }
  });
});
