import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { waitFor as sharedWaitFor } from '@redoubt/local-stack';
import { requireDockerEngine } from './testing/docker-engine.js';
import { STACK_NAMESPACE_LABEL, SwarmDriver, type RuntimeEvent } from './index.js';

/**
 * The Swarm driver against this machine's engine as a single-node swarm: a tiny service of the project's
 * offline base image (nothing is pulled), labelled as a stack of its own, removed afterwards. When the
 * engine is not in a swarm the test makes it one (`docker swarm init` on 127.0.0.1) and leaves it again at
 * the end; a swarm that was there before is left as it was.
 */
const IMAGE = 'redoubt/offline-base:bookworm';
const stack = `rdbt-swarm-test-${process.pid}-${Date.now().toString(36)}`;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const events: RuntimeEvent[] = [];
let driver: SwarmDriver;
let createdSwarm = false;
let service: Docker.Service | undefined;

const waitFor = <T>(what: string, probe: () => T | Promise<T>, timeoutMs = 60_000) =>
  sharedWaitFor(what, probe, timeoutMs, 100);

async function runningContainers(): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({
    filters: { label: [`${STACK_NAMESPACE_LABEL}=${stack}`], status: ['running'] },
  });
}

beforeAll(async () => {
  await requireDockerEngine(docker, IMAGE);
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string } };
  if (info.Swarm?.LocalNodeState !== 'active') {
    await docker.swarmInit({ ListenAddr: '127.0.0.1:2377', AdvertiseAddr: '127.0.0.1' });
    createdSwarm = true;
  }
  // As `docker stack deploy` would create `<stack>_svc`: two replicas, each named by its slot.
  service = await docker.createService({
    Name: `${stack}_svc`,
    Labels: { [STACK_NAMESPACE_LABEL]: stack },
    TaskTemplate: {
      ContainerSpec: {
        Image: IMAGE,
        Command: ['sleep', 'infinity'],
        Init: true,
        Hostname: 'svc-{{.Task.Slot}}',
        Labels: { [STACK_NAMESPACE_LABEL]: stack },
        StopGracePeriod: 1_000_000_000,
      },
      RestartPolicy: { Condition: 'any', Delay: 0 },
    },
    Mode: { Replicated: { Replicas: 2 } },
    UpdateConfig: { Parallelism: 1, Order: 'stop-first', Delay: 0 },
  } as unknown as Docker.CreateServiceOptions);
  driver = new SwarmDriver({ stack });
  driver.watch((event) => events.push(event));
  await driver.watching();
  await waitFor('two running tasks', async () => (await driver.status('svc')).state === 'running');
}, 120_000);

afterAll(async () => {
  await driver?.close();
  await service?.remove().catch(() => undefined);
  if (service)
    await waitFor('the service containers gone', async () => {
      const left = await docker.listContainers({
        all: true,
        filters: { label: [`${STACK_NAMESPACE_LABEL}=${stack}`] },
      });
      return left.length === 0;
    }).catch(() => undefined);
  if (createdSwarm) await docker.swarmLeave({ force: true });
}, 120_000);

describe('SwarmDriver (ORCHESTRATOR=swarm)', () => {
  it('finds a service of the stack and a replica by its slot', async () => {
    const status = await driver.status('svc');
    expect(status).toMatchObject({ name: 'svc', state: 'running', disconnected: [] });
    expect(status.startedAt).toBeGreaterThan(Date.now() - 120_000);
    expect((await driver.status('svc-2')).state).toBe('running');
    expect((await driver.status('svc-7')).detail).toMatch(/task|no task/);
    expect((await driver.status('other')).state).toBe('missing');
    await expect(driver.perform('other', 'restart')).rejects.toMatchObject({
      code: 'ORCHESTRATOR_TARGET_NOT_FOUND',
    });
  });

  it('reports a killed task and the engine replacing it, with the new container start time', async () => {
    const before = await driver.status('svc-1');
    const victim = (await runningContainers()).find((c) =>
      c.Labels['com.docker.swarm.task.name']?.includes('.1.'),
    )!;
    events.length = 0;
    await docker.getContainer(victim.Id).kill();
    await waitFor('the gone event of slot 1', () =>
      events.find((e) => e.kind === 'gone' && e.name === 'svc-1'),
    );
    // The engine, not the driver, starts the replacement: a new container in slot 1.
    await waitFor('the back event of slot 1', () =>
      events.find((e) => e.kind === 'back' && e.name === 'svc-1'),
    );
    const after = await waitFor('slot 1 running again', async () => {
      const s = await driver.status('svc-1');
      return s.state === 'running' ? s : undefined;
    });
    expect(after.pid).not.toBe(before.pid);
    expect(after.startedAt!).toBeGreaterThan(before.startedAt!);
    const killed = await docker.getContainer(victim.Id).inspect();
    expect(killed.State.Running).toBe(false); // the old container was not started again behind the engine
  });

  it('reports a paused task container and unpauses it through the engine', async () => {
    const [container] = await runningContainers();
    events.length = 0;
    await docker.getContainer(container!.Id).pause();
    await waitFor('the paused event', () => events.find((e) => e.kind === 'paused'));
    expect((await driver.status('svc')).state).toBe('paused');
    await driver.perform('svc', 'unpause');
    expect((await driver.status('svc')).state).toBe('running');
  });

  it('force-updates a hung service: the engine replaces its tasks', async () => {
    const before = new Set((await runningContainers()).map((c) => c.Id));
    const version = (await service!.inspect()).Spec.TaskTemplate.ForceUpdate ?? 0;
    // A hung process still runs: freeze one so it would never answer, then restart the service.
    await docker.getContainer([...before][0]!).pause();
    await driver.perform('svc', 'restart');
    expect((await service!.inspect()).Spec.TaskTemplate.ForceUpdate).toBe(version + 1);
    await waitFor('two new running tasks', async () => {
      const now = await runningContainers();
      return (
        now.length === 2 &&
        now.every((c) => !before.has(c.Id)) &&
        (await driver.status('svc')).state === 'running'
      );
    });
  });

  it('refuses reconnect (the engine attaches networks)', async () => {
    await expect(driver.perform('svc', 'reconnect')).rejects.toMatchObject({
      code: 'ORCHESTRATOR_ACTION_FAILED',
    });
  });
});
