import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { writeClockOffset } from './clock-offset.js';
import { containerIps, HEAL_COMMANDS, linkRuleCommands, runInNetns } from './docker-netns-faults.js';

describe('linkRuleCommands', () => {
  it('drops by source inbound and by destination outbound, per peer address', () => {
    const rules = linkRuleCommands({ kind: 'partition', peerIps: ['10.0.0.5'], direction: 'both' }).slice(4);
    expect(rules).toEqual([
      'iptables -w -A REDOUBT-CHAOS-IN -s 10.0.0.5 -j DROP',
      'iptables -w -A REDOUBT-CHAOS-OUT -d 10.0.0.5 -j DROP',
    ]);
  });

  it('cuts everything but loopback without a peer, one way only when asked', () => {
    expect(linkRuleCommands({ kind: 'partition', peerIps: [], direction: 'inbound' }).slice(4)).toEqual([
      'iptables -w -A REDOUBT-CHAOS-IN ! -s 127.0.0.0/8 -j DROP',
    ]);
  });

  it('resets TCP for reset-link and drops a random share for slow-link', () => {
    expect(
      linkRuleCommands({ kind: 'reset-link', peerIps: ['10.0.0.5'], direction: 'outbound' }).slice(4),
    ).toEqual(['iptables -w -A REDOUBT-CHAOS-OUT -d 10.0.0.5 -p tcp -j REJECT --reject-with tcp-reset']);
    expect(
      linkRuleCommands({ kind: 'slow-link', peerIps: ['10.0.0.5'], direction: 'inbound', loss: 0.25 }).slice(
        4,
      ),
    ).toEqual([
      'iptables -w -A REDOUBT-CHAOS-IN -s 10.0.0.5 -m statistic --mode random --probability 0.25 -j DROP',
    ]);
  });
});

/** Real Docker: two containers on a network of their own; a partition between them, then healed. */
describe('link faults in a container network namespace (real Docker)', () => {
  const docker = new Docker();
  const name = `redoubt-netns-test-${process.pid}`;
  const image = 'redoubt/offline-base:bookworm';
  let network: Docker.Network;
  const containers: Docker.Container[] = [];

  beforeAll(async () => {
    network = await docker.createNetwork({ Name: `${name}-net` });
    for (const service of ['a', 'b']) {
      const container = await docker.createContainer({
        Image: image,
        name: `${name}-${service}`,
        Cmd: ['node', '-e', "require('http').createServer((q, s) => s.end('ok')).listen(8000)"],
        HostConfig: { NetworkMode: `${name}-net`, Init: true },
      });
      containers.push(container);
      await container.start();
    }
  }, 60_000);

  afterAll(async () => {
    for (const container of containers) await container.remove({ force: true }).catch(() => undefined);
    await network?.remove().catch(() => undefined);
  });

  /** From inside a: does b answer within 1 s? */
  async function aReachesB(bIp: string): Promise<boolean> {
    const exec = await containers[0]!.exec({
      Cmd: [
        'node',
        '-e',
        `fetch('http://${bIp}:8000', { signal: AbortSignal.timeout(1000) }).then(() => process.exit(0), () => process.exit(1))`,
      ],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    await new Promise((resolve) => stream.on('end', resolve).resume());
    return (await exec.inspect()).ExitCode === 0;
  }

  it('partitions a from b (outbound) and heals it', async () => {
    const [bIp] = await containerIps(docker, containers[1]!.id);
    expect(bIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // b's server may still be starting on a busy machine: wait until a reaches it (bounded).
    const deadline = Date.now() + 30_000;
    while (!(await aReachesB(bIp!)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await aReachesB(bIp!)).toBe(true);
    await runInNetns(
      docker,
      containers[0]!.id,
      linkRuleCommands({ kind: 'partition', peerIps: [bIp!], direction: 'outbound' }),
    );
    expect(await aReachesB(bIp!)).toBe(false);
    await runInNetns(docker, containers[0]!.id, HEAL_COMMANDS);
    expect(await aReachesB(bIp!)).toBe(true);
  }, 60_000);

  it('refuses a container that is not running, saying so', async () => {
    await containers[1]!.stop({ t: 1 });
    await expect(runInNetns(docker, containers[1]!.id, HEAL_COMMANDS)).rejects.toMatchObject({
      code: 'FAULT_REFUSED',
    });
  }, 30_000);
});

/** Real libfaketime: a node process whose clock follows its offset file, read every second. */
describe('clock offsets through libfaketime', () => {
  const lib = readdirSync('/usr/lib')
    .map((d) => join('/usr/lib', d, 'faketime', 'libfaketime.so.1'))
    .find((f) => existsSync(f));
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-clock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('moves Date.now() by the offset written, and back', async () => {
    expect(lib, 'libfaketime.so.1 (apt-get install -y faketime)').toBeDefined();
    await writeClockOffset(dir, 'gateway-2', 0);
    // Prints (its Date.now() - the real time) every 200 ms for 3.5 s; the real time comes from the
    // monotonic clock, which libfaketime leaves alone.
    const script =
      'const t0 = Date.now() - performance.now(); const i = setInterval(() => ' +
      'process.stdout.write(Math.round((Date.now() - performance.now() - t0) / 1000) + "\\n"), 200); setTimeout(() => { clearInterval(i) }, 3500)';
    const child = spawn(process.execPath, ['-e', script], {
      env: {
        ...process.env,
        LD_PRELOAD: lib,
        FAKETIME_TIMESTAMP_FILE: join(dir, 'gateway-2'),
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      },
    });
    // Parsed at exit: a chunk may end in the middle of a line.
    let printed = '';
    child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 600));
    await writeClockOffset(dir, 'gateway-2', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await writeClockOffset(dir, 'gateway-2', -45_000);
    await new Promise((resolve) => child.on('close', resolve));
    const offsets = printed
      .split('\n')
      .filter((line) => /^-?\d+$/.test(line.trim()))
      .map(Number);
    // Written with process.stdout.write, not console.log: under nx (FORCE_COLOR) console.log colours numbers.
    expect(offsets[0], printed).toBe(0);
    expect(offsets).toContain(30);
    expect(offsets[offsets.length - 1]).toBe(-45);
  }, 20_000);
});
