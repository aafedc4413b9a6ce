import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { waitFor as sharedWaitFor } from '@redoubt/local-stack';
import { requireDockerEngine } from './testing/docker-engine.js';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL, DockerDriver, type RuntimeEvent } from './index.js';

/**
 * The Docker driver against the machine's Docker Engine, on a container and network of its own (a unique
 * compose project name), removed afterwards. The image is the project's offline base image
 * (deploy/docker/build-offline-base.sh); nothing is pulled.
 */
const IMAGE = 'redoubt/offline-base:bookworm';
const project = `rdbt-orch-test-${process.pid}-${Date.now().toString(36)}`;
const network = `${project}_default`;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let container: Docker.Container | undefined;
let driver: DockerDriver;
const events: RuntimeEvent[] = [];

const waitFor = <T>(what: string, probe: () => T | Promise<T>, timeoutMs = 30_000) =>
  sharedWaitFor(what, probe, timeoutMs, 100);

beforeAll(async () => {
  await requireDockerEngine(docker, IMAGE);
  await docker.createNetwork({ Name: network, Labels: { [COMPOSE_PROJECT_LABEL]: project } });
  container = await docker.createContainer({
    name: `${project}-svc-1`,
    Image: IMAGE,
    Cmd: ['sleep', 'infinity'],
    Labels: { [COMPOSE_PROJECT_LABEL]: project, [COMPOSE_SERVICE_LABEL]: 'svc' },
    HostConfig: { NetworkMode: network, Init: true },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: ['svc'] } } },
  });
  await container.start();
  driver = new DockerDriver({ project, restartGraceSeconds: 1 });
  driver.watch((event) => events.push(event));
  await driver.watching();
}, 60_000);

afterAll(async () => {
  await driver?.close();
  await container?.remove({ force: true }).catch(() => undefined);
  await docker
    .getNetwork(network)
    .remove()
    .catch(() => undefined);
});

describe('DockerDriver (ORCHESTRATOR=docker)', () => {
  it('finds a service by its compose labels', async () => {
    expect(await driver.status('svc')).toMatchObject({ name: 'svc', state: 'running', disconnected: [] });
    expect((await driver.status('other')).state).toBe('missing');
  });

  it('sees a killed container through the event stream and starts it (docker kill disables restarts)', async () => {
    events.length = 0;
    await container!.kill();
    await waitFor('the gone event', () => events.find((e) => e.kind === 'gone' && e.name === 'svc'));
    expect((await driver.status('svc')).state).toBe('stopped');
    await driver.perform('svc', 'start');
    expect((await driver.status('svc')).state).toBe('running');
  });

  it('unpauses a paused container', async () => {
    if ((await container!.inspect()).State.Paused) await container!.unpause(); // a retry starts from running
    events.length = 0;
    await container!.pause();
    await waitFor('the paused event', () => events.find((e) => e.kind === 'paused'));
    expect((await driver.status('svc')).state).toBe('paused');
    await driver.perform('svc', 'unpause');
    expect((await driver.status('svc')).state).toBe('running');
  });

  it('reconnects a container cut off its network, under its service name', async () => {
    events.length = 0;
    await docker.getNetwork(network).disconnect({ Container: container!.id });
    await waitFor('the disconnected event', () => events.find((e) => e.kind === 'disconnected'));
    const cut = await driver.status('svc');
    expect(cut).toMatchObject({ state: 'running', disconnected: [network] });
    await driver.perform('svc', 'reconnect');
    expect(await driver.status('svc')).toMatchObject({ state: 'running', disconnected: [] });
    const details = await container!.inspect();
    expect(details.NetworkSettings.Networks[network]?.Aliases).toContain('svc');
  });

  it('restarts a running container, and reports when it was started', async () => {
    const before = (await container!.inspect()).State.StartedAt;
    expect((await driver.status('svc')).startedAt).toBe(Date.parse(before));
    const asked = Date.now();
    await driver.perform('svc', 'restart');
    const after = await container!.inspect();
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(before);
    // what the monitor reads to give a container the engine (or its restart policy) just started time to boot
    const startedAt = (await driver.status('svc')).startedAt!;
    expect(startedAt).toBe(Date.parse(after.State.StartedAt));
    expect(startedAt).toBeGreaterThanOrEqual(asked - 1_000);
    expect(startedAt).toBeLessThanOrEqual(Date.now() + 1_000);
  });
});
