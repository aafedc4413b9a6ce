import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosReport } from '@redoubt/chaos';
import { readStackFile, REPO_ROOT } from '@redoubt/local-stack';
import { EXIT, runChaosCli } from './chaos-cli.js';

// `npm start` for real (the stack app: supervisor, control API, stack.json) on free ports in a home of
// its own, and the chaos CLI against it exactly as `npm run chaos -- <scenario>` runs.
let home: string;
let stack: ChildProcess;
const stackFile = () => join(home, 'stack.json');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'chaos-npm-start-'));
  stack = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'apps/stack/src/main.ts'), '--quiet'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      REDOUBT_HOME: home,
      REDOUBT_BASE_PORT: '0',
      REDOUBT_PARTITIONS: '32',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 120_000;
  while (readStackFile(stackFile())?.state !== 'running') {
    if (Date.now() > deadline || stack.exitCode !== null)
      throw new Error(`the stack did not start (see ${home}/logs)`);
    await sleep(250);
  }
}, 150_000);

afterAll(async () => {
  if (stack && stack.exitCode === null) {
    const exited = new Promise((resolve) => stack.once('exit', resolve));
    stack.kill('SIGINT');
    await Promise.race([exited, sleep(30_000)]);
    if (stack.exitCode === null) stack.kill('SIGKILL');
  }
  rmSync(home, { recursive: true, force: true });
}, 60_000);

async function chaos(argv: string[], signal?: AbortSignal, onLine?: (line: string) => void) {
  const out: string[] = [];
  const code = await runChaosCli(argv, {
    out: (line) => (out.push(line), onLine?.(line)),
    err: (line) => out.push(line),
    env: { REDOUBT_HOME: home },
    signal,
  });
  return { code, out: out.join('\n') };
}

function scenario(name: string, body: string): string {
  const file = join(home, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\n${body}`);
  return file;
}

describe('npm run chaos against npm start', () => {
  it('kills -9 a data node under load through the control API and passes', async () => {
    const file = scenario(
      'cli-kill-data-node',
      `load: { duration: 20s, rate: 30, warmup: 3s }
faults:
  - { at: 6s, kind: crash, target: { role: data, pick: random }, recoverWithin: 45s }
verify: { convergeWithin: 60s }
`,
    );
    const { code, out } = await chaos(['run', file, '--seed', '3', '--reports', join(home, 'reports')]);
    expect(code, out).toBe(EXIT.pass);
    const reportPath = /report (\S+report\.json)/.exec(out)?.[1];
    expect(reportPath && existsSync(reportPath)).toBe(true);
    const report = JSON.parse(readFileSync(reportPath!, 'utf8')) as ChaosReport;
    expect(report).toMatchObject({ verdict: 'pass', driver: 'local', seed: 3 });
    expect(report.faults[0]).toMatchObject({ kind: 'crash', outcome: 'injected', objectiveMet: true });
  }, 180_000);

  it('heals and still reports when interrupted (Ctrl-C) in the middle of a fault', async () => {
    const file = scenario(
      'cli-interrupted',
      `load: { duration: 40s, rate: 20, warmup: 2s }
faults:
  - { at: 3s, kind: pause, target: data-1, duration: 30s }
`,
    );
    const interrupt = new AbortController();
    // Ctrl-C as soon as the pause is in place (the run logs each injection).
    const running = chaos(['run', file, '--reports', join(home, 'reports')], interrupt.signal, (line) => {
      if (line.includes('fault #1: pause data-1')) setTimeout(() => interrupt.abort(), 500);
    });
    const { code, out } = await running;
    expect(code, out).toBe(EXIT.interrupted);
    // healed: resumed by the run (or restarted by the stack's monitor, which also watches hung processes)
    const settled = Date.now() + 30_000;
    const stateOf = () => readStackFile(stackFile())?.processes.find((p) => p.name === 'data-1')?.state;
    while (stateOf() !== 'running' && Date.now() < settled) await sleep(200);
    expect(stateOf()).toBe('running');
    const report = JSON.parse(readFileSync(/report (\S+report\.json)/.exec(out)![1]!, 'utf8')) as ChaosReport;
    expect(report.aborted).toMatch(/interrupted/);
    expect(report.verdict).toBe('fail');
    expect(report.writes.lost).toBe(0);
    expect(report.faults[0]).toMatchObject({ kind: 'pause', target: 'data-1', outcome: 'injected' });
  }, 180_000);
});
