/**
 * A manual check of the docker fault driver against a real Docker Engine (not part of the test suite: it
 * needs dockerd and a local image). It creates two labelled containers as compose would (one with an
 * init, one without) on a network of their own, runs every fault and heal on them, prints what it saw,
 * and removes everything it created.
 *
 *   node --import tsx libs/chaos/scripts/docker-driver-check.ts [image]   (default redoubt/offline-base:bookworm)
 */
import Docker from 'dockerode';
import { DockerFaultDriver } from '../src/index.js';

const image = process.argv[2] ?? 'redoubt/offline-base:bookworm';
const docker = new Docker();
const project = `chaoscheck${process.pid}`;
const network = await docker.createNetwork({
  Name: `${project}_net`,
  Labels: { 'com.docker.compose.project': project },
});
const created: Docker.Container[] = [];
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function service(name: string, init: boolean): Promise<void> {
  const container = await docker.createContainer({
    Image: image,
    name: `${project}_${name}_1`,
    Cmd: ['node', '-e', "require('http').createServer((q, s) => s.end('ok')).listen(8000)"],
    Labels: {
      'com.docker.compose.project': project,
      'com.docker.compose.service': name,
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
    },
    HostConfig: { RestartPolicy: { Name: 'unless-stopped' }, Init: init, NetworkMode: `${project}_net` },
    NetworkingConfig: { EndpointsConfig: { [`${project}_net`]: { Aliases: [name] } } },
  });
  created.push(container);
  await container.start();
}

try {
  await service('data-1', true);
  await service('gateway', false);
  for (const crashVia of ['auto', 'exec'] as const) {
    const driver = new DockerFaultDriver({ project, crashVia });
    const targets = await driver.inventory();
    console.log(`crashVia=${crashVia}: targets`, targets.map((t) => `${t.name} (${t.role})`).join(', '));
    for (const target of targets) {
      await driver.inject('pause', target);
      console.log(`  pause ${target.name}: ${(await driver.state(target)).state}`);
      await driver.undo('pause', target);
      const before = await driver.state(target);
      try {
        await driver.inject('crash', target);
        await wait(2500);
        const after = await driver.state(target);
        console.log(
          `  crash ${target.name}: ${before.instance} -> ${after.instance} (${after.state}, restarts ${after.restarts})`,
        );
      } catch (error) {
        console.log(`  crash ${target.name}: refused: ${(error as Error).message}`);
      }
      await driver.inject('disconnect', target);
      await driver.inject('kill', target);
      console.log(`  disconnect + kill ${target.name}: ${(await driver.state(target)).state}`);
    }
    console.log('  heal:', (await driver.healAll()).join('; '));
    for (const target of targets)
      console.log(`  after heal ${target.name}: ${(await driver.state(target)).state}`);
  }
} finally {
  for (const container of created) await container.remove({ force: true }).catch(() => undefined);
  await network.remove().catch(() => undefined);
}
